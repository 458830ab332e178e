"""Failed logins per username and per client address, and registrations per client address,
in the database shared by every instance, and the decision to refuse further attempts (429
with Retry-After).

Addresses are counted by group (accounts.client_address.address_group): an IPv6 client
counts by its /64. Usernames are counted by accounts.models.username_key, the same key that
makes usernames unique, so `DaVe`, `dave` and dave in fullwidth letters share one counter.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
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


def login_throttle_check(*, username: str, client_address: str | None) -> None:
    """Raise LoginThrottled when the username or the address has used up its failures.

    Checked before the password is, so a locked username costs no hashing and reveals
    nothing. Concurrent attempts may each pass the check before any failure is stored: a
    burst can exceed the limit by at most the number of requests in flight.
    """
    wait = _longest_wait(
        LoginFailure.objects,
        "failed_at",
        [
            _Limit("username_key", username_key(username), settings.LOGIN_FAILURES_PER_USERNAME),
            _Limit(
                "client_address", address_group(client_address), settings.LOGIN_FAILURES_PER_ADDRESS
            ),
        ],
        settings.LOGIN_FAILURE_WINDOW_SECONDS,
        timezone.now(),
    )
    if wait is not None:
        raise LoginThrottled(wait)


def login_failure_record(*, username: str, client_address: str | None) -> None:
    now = timezone.now()
    LoginFailure.objects.create(
        username_key=username_key(username),
        client_address=address_group(client_address),
        failed_at=now,
    )
    # Rows past the window count for nothing; failures are the only writer, so they prune.
    LoginFailure.objects.filter(
        failed_at__lte=now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    ).delete()


def login_failures_clear(*, user=None, username: str | None = None) -> None:
    """A correct password ends the lockout count of the account that logged in (its
    username key, unique among accounts), not the address's: one valid account must not buy
    an attacker fresh tries at others. Pass the account; `username` (the name it was found
    by, in any case) is accepted for callers that hold only that and maps to the same key."""
    key = user.username_key if user is not None else username_key(username)
    LoginFailure.objects.filter(username_key=key).delete()


def registration_throttle_check(*, client_address: str | None) -> None:
    """Raise RegistrationThrottled when the address has used up its registrations.

    Checked before any hashing or lookup. An unknown address (None) has no per-address
    limit, as for logins.
    """
    wait = _longest_wait(
        RegistrationAttempt.objects,
        "attempted_at",
        [
            _Limit(
                "client_address", address_group(client_address), settings.REGISTRATIONS_PER_ADDRESS
            )
        ],
        settings.REGISTRATION_WINDOW_SECONDS,
        timezone.now(),
    )
    if wait is not None:
        raise RegistrationThrottled(wait)


def registration_attempt_record(*, client_address: str | None) -> None:
    group = address_group(client_address)
    if group is None:
        return
    now = timezone.now()
    RegistrationAttempt.objects.create(client_address=group, attempted_at=now)
    RegistrationAttempt.objects.filter(
        attempted_at__lte=now - timedelta(seconds=settings.REGISTRATION_WINDOW_SECONDS)
    ).delete()
