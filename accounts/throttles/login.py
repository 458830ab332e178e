"""Failed logins per username and per client address, and registrations per client address,
counted in the database every instance shares; past a limit, 429 with Retry-After (docs/auth.md,
"Limits on password guessing and registration").

Each check and its record are one transaction under a lock per counted key, so concurrent
requests cannot all pass a check before any of them is recorded. Addresses count by group
(accounts.client_address), usernames by the key that makes them unique (`DaVe` = `dave`).
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from accounts.client_address import address_group
from accounts.models import USERNAME_KEY_MAX_LENGTH, LoginFailure, RegistrationAttempt
from accounts.models import username_key as account_username_key


class LoginThrottled(Exception):
    def __init__(self, retry_after_seconds: int):
        super().__init__(f"Too many failed login attempts. Try again in {retry_after_seconds} s.")
        self.retry_after_seconds = retry_after_seconds


class RegistrationThrottled(LoginThrottled):
    def __init__(self, retry_after_seconds: int):
        Exception.__init__(
            self, f"Too many registrations from this address. Try again in {retry_after_seconds} s."
        )
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class _Limit:
    field: str
    value: str | None
    max_count: int


def username_key(username: str) -> str:
    """The counter's key for a typed username: the key that makes usernames unique (an
    attacker cannot get more tries by varying case or Unicode form)."""
    return account_username_key(username)[:USERNAME_KEY_MAX_LENGTH]


def _retry_after(oldest_counted: datetime, now: datetime, window_seconds: int) -> int:
    free_at = oldest_counted + timedelta(seconds=window_seconds)
    return max(1, math.ceil((free_at - now).total_seconds()))


def _longest_wait(
    queryset, time_field: str, limits: list[_Limit], window_seconds: int, now: datetime
) -> int | None:
    """Seconds until every limit has room again, or None when none is used up."""
    since = now - timedelta(seconds=window_seconds)
    waits = []
    for limit in limits:
        if limit.value is None or limit.max_count <= 0:
            continue
        recent = queryset.filter(**{limit.field: limit.value, f"{time_field}__gt": since})
        # The oldest row that keeps the count at the limit: once it leaves the window, one
        # more attempt is allowed.
        times = list(
            recent.order_by(f"-{time_field}").values_list(time_field, flat=True)[: limit.max_count]
        )
        if len(times) >= limit.max_count:
            waits.append(_retry_after(times[-1], now, window_seconds))
    return max(waits) if waits else None


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt already counted as a failure (`login_attempt_begin`): the row to take
    back with `login_attempt_passed` when the password turns out right."""

    failure_id: int


def _keys_locked(model, keys: list[str]) -> None:
    """Within the caller's transaction, wait for every other transaction counting one of
    `keys`. PostgreSQL: transaction-level advisory locks, in one order (no deadlock); SQLite
    runs one writing transaction at a time anyway (config/django/local.py: IMMEDIATE)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def login_attempt_begin(*, username: str, client_address: str | None) -> LoginAttempt:
    """Raise LoginThrottled when the username or the address has used up its failures; else
    count this attempt as a failure now, before the password is checked, so attempts in
    flight count too. Checked before any hashing: a locked username reveals nothing."""
    key, group = username_key(username), address_group(client_address)
    now = timezone.now()
    window_seconds = settings.LOGIN_FAILURE_WINDOW_SECONDS
    limits = [
        _Limit("username_key", key, settings.LOGIN_FAILURES_PER_USERNAME),
        _Limit("client_address", group, settings.LOGIN_FAILURES_PER_ADDRESS),
    ]
    with transaction.atomic(using=router.db_for_write(LoginFailure)):
        _keys_locked(LoginFailure, [f"login-username:{key}", f"login-address:{group or ''}"])
        wait = _longest_wait(LoginFailure.objects, "failed_at", limits, window_seconds, now)
        if wait is not None:
            raise LoginThrottled(wait)
        failure = LoginFailure.objects.create(username_key=key, client_address=group, failed_at=now)
    # Rows past the window count for nothing; attempts are the only writer, so they prune.
    LoginFailure.objects.filter(failed_at__lte=now - timedelta(seconds=window_seconds)).delete()
    return LoginAttempt(failure.pk)


def login_attempt_passed(attempt: LoginAttempt, *, user=None) -> None:
    """The attempt was no wrong password: take its failure back. With `user` (the password
    was right) the account's other failures go too (`login_failures_clear`)."""
    LoginFailure.objects.filter(pk=attempt.failure_id).delete()
    if user is not None:
        login_failures_clear(user=user)


def login_failures_clear(*, user=None, username: str | None = None) -> None:
    """A correct password ends the lockout count of the account that logged in (its
    username key, unique among accounts), not the address's: one valid account must not buy
    an attacker fresh tries at others. Pass the account; `username` (the name it was found
    by, in any case) is accepted for callers that hold only that and maps to the same key."""
    key = user.username_key if user is not None else username_key(username)
    LoginFailure.objects.filter(username_key=key).delete()


def registration_attempt_count(*, client_address: str | None) -> None:
    """Count one registration from the address, or raise RegistrationThrottled (counting
    nothing) when it has used up its registrations. An unknown address (None) has no
    per-address limit, as for logins."""
    group = address_group(client_address)
    if group is None:
        return
    now = timezone.now()
    window_seconds = settings.REGISTRATION_WINDOW_SECONDS
    limits = [_Limit("client_address", group, settings.REGISTRATIONS_PER_ADDRESS)]
    with transaction.atomic(using=router.db_for_write(RegistrationAttempt)):
        _keys_locked(RegistrationAttempt, [f"registration-address:{group}"])
        wait = _longest_wait(
            RegistrationAttempt.objects, "attempted_at", limits, window_seconds, now
        )
        if wait is not None:
            raise RegistrationThrottled(wait)
        RegistrationAttempt.objects.create(client_address=group, attempted_at=now)
    RegistrationAttempt.objects.filter(
        attempted_at__lte=now - timedelta(seconds=window_seconds)
    ).delete()
