"""Per-user rate budgets on what costs us (docs/auth.md, "Rate limits per user"), declared by
the apps (accounts.registry) and counted here in fixed windows in the database, which every
Lambda instance shares: one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING hits` per
counted request, so concurrent requests never see the same count.

    throttle_classes = [UserRateLimit.of(ITEM_WRITES)]          # DRF views
    user_rate_limit_hit(user=user, scope=ITEM_WRITES)           # anywhere else (GraphQL)
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from rest_framework.exceptions import Throttled

from accounts.models import RateLimitWindow
from accounts.registry import rate_budget
from api.errors import ApiError

PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: int


def parse_rate(text: str | None) -> Rate | None:
    """`"60/minute"` → Rate(60, 60); None for a limit that is off. Raises ValueError."""
    if not text:
        return None
    count, _, period = str(text).partition("/")
    period = period.strip().lower()
    seconds = PERIOD_SECONDS.get(period) or PERIOD_SECONDS.get(period.rstrip("s"))
    if seconds is None or not count.strip().isdigit():
        raise ValueError(f"Rate limit {text!r} is not '<count>/<second|minute|hour|day>'")
    limit = int(count)
    return Rate(limit, seconds) if limit > 0 else None


class RateLimited(ApiError):
    status_code = 429

    def __init__(self, *, scope: str, retry_after_seconds: int):
        self.what = f"Too many {scope.replace('-', ' ')}."
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"{self.what} Expected available in {retry_after_seconds} seconds.")


def _count_hit(*, key: str, window_end: int) -> int:
    """Add one hit to the key's window and return the window's hits, in one statement."""
    connection = connections[router.db_for_write(RateLimitWindow)]
    quote = connection.ops.quote_name
    meta = RateLimitWindow._meta
    table = quote(meta.db_table)
    key_column, end_column, hits_column = (
        quote(meta.get_field(name).column) for name in ("key", "window_end", "hits")
    )
    # Identifiers come from the model and are quoted; the values are bound parameters.
    sql = (
        f"INSERT INTO {table} ({key_column}, {end_column}, {hits_column}) "  # noqa: S608
        f"VALUES (%s, %s, 1) ON CONFLICT ({key_column}, {end_column}) "
        f"DO UPDATE SET {hits_column} = {table}.{hits_column} + 1 RETURNING {hits_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, window_end])
        return cursor.fetchone()[0]


def budget_rate_text(scope: str) -> str | None:
    """The budget's rate: its own setting where it declared one, else `RATE_LIMITS[scope]`
    (no entry, or a count of 0: no limit)."""
    budget = rate_budget(scope)
    if budget is not None and budget.rate_setting:
        return getattr(settings, budget.rate_setting)
    return (getattr(settings, "RATE_LIMITS", {}) or {}).get(scope)


def user_rate_limit_hit(*, user, scope: str) -> None:
    """Count one `scope` action by `user`; raise RateLimited once the window's limit is spent.

    Refused attempts count too (they cost a request), so hammering does not shorten the wait.
    The count comes back from the statement that adds the hit: check and record are one.
    """
    rate = parse_rate(budget_rate_text(scope))
    if rate is None:
        return
    now = time.time()
    window_end = (int(now) // rate.period_seconds + 1) * rate.period_seconds
    hits = _count_hit(key=f"{scope}:{user.pk}", window_end=window_end)
    if hits == 1:
        # A window opened: closed ones count for nothing (at most one prune per key and window).
        RateLimitWindow.objects.filter(window_end__lte=int(now)).delete()
    if hits > rate.limit:
        raise RateLimited(scope=scope, retry_after_seconds=max(1, math.ceil(window_end - now)))


class UserRateLimit:
    """A DRF throttle: every unsafe-method request of the signed-in user counts (every request
    where the budget counts reads). DRF runs throttles after authentication and permissions,
    so only requests that would otherwise be served are counted. Duck-typed: DRF needs only
    these two methods."""

    scope = ""
    counts_reads = False

    @classmethod
    def of(cls, scope: str) -> type["UserRateLimit"]:
        budget = rate_budget(scope)
        counts_reads = budget.counts_reads if budget is not None else False
        name = f"UserRateLimit_{scope.replace('-', '_')}"
        return type(name, (cls,), {"scope": scope, "counts_reads": counts_reads})

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        if request.method in _SAFE_METHODS and not self.counts_reads:
            return True
        try:
            user_rate_limit_hit(user=user, scope=self.scope)
        except RateLimited as exc:
            # DRF's handler adds Retry-After and "Expected available in N seconds."
            raise Throttled(wait=exc.retry_after_seconds, detail=exc.what) from exc
        return True

    def wait(self) -> None:
        return None
