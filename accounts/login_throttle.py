"""Failed logins per username and per client address, in the database shared by every
instance, and the decision to refuse further attempts (429 with Retry-After)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


class LoginThrottled(Exception):
    def __init__(self, retry_after_seconds: int):
        super().__init__(f"Too many failed login attempts. Try again in {retry_after_seconds} s.")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class _Limit:
    field: str
    value: str | None
    max_failures: int


def username_key(username: str) -> str:
    """Case-insensitive, so `Ann` and `ann` share one counter (an attacker cannot get more
    tries by varying case)."""
    return username.strip().casefold()[:150]


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _retry_after(oldest_counted: datetime, now: datetime) -> int:
    free_at = oldest_counted + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return max(1, math.ceil((free_at - now).total_seconds()))


def login_throttle_check(*, username: str, client_address: str | None) -> None:
    """Raise LoginThrottled when the username or the address has used up its failures.

    Checked before the password is, so a locked username costs no hashing and reveals
    nothing. Concurrent attempts may each pass the check before any failure is stored: a
    burst can exceed the limit by at most the number of requests in flight.
    """
    from accounts.models import LoginFailure

    now = timezone.now()
    since = _window_start(now)
    limits = [
        _Limit("username_key", username_key(username), settings.LOGIN_FAILURES_PER_USERNAME),
        _Limit("client_address", client_address, settings.LOGIN_FAILURES_PER_ADDRESS),
    ]
    waits = []
    for limit in limits:
        if limit.value is None or limit.max_failures <= 0:
            continue
        recent = LoginFailure.objects.filter(**{limit.field: limit.value}, failed_at__gt=since)
        # The oldest failure that keeps the count at the limit: once it leaves the window,
        # one more attempt is allowed.
        times = list(recent.order_by("-failed_at").values_list("failed_at", flat=True)
                     [:limit.max_failures])
        if len(times) >= limit.max_failures:
            waits.append(_retry_after(times[-1], now))
    if waits:
        raise LoginThrottled(max(waits))


def login_failure_record(*, username: str, client_address: str | None) -> None:
    from accounts.models import LoginFailure

    now = timezone.now()
    LoginFailure.objects.create(
        username_key=username_key(username), client_address=client_address, failed_at=now)
    # Rows past the window count for nothing; failures are the only writer, so they prune.
    LoginFailure.objects.filter(failed_at__lte=_window_start(now)).delete()


def login_failures_clear(*, username: str) -> None:
    """A correct password ends the username's lockout count (not the address's: one valid
    account must not buy an attacker fresh tries at others)."""
    from accounts.models import LoginFailure

    LoginFailure.objects.filter(username_key=username_key(username)).delete()

