"""Per-user rate limits on what costs us (docs/contract.md §2.4): item writes and pipeline runs.

Fixed windows counted in the database, which every Lambda instance shares (a fleet has no
shared memory): one `INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`
per counted request (PostgreSQL and SQLite ≥ 3.35), plus a prune of closed windows when a
window opens. A fixed window lets a client spend up to twice the limit around a window's
end; for these limits (a bound on cost, not on guessing) that is the price of one query.

    throttle_classes = [UserRateLimit.of(ITEM_WRITES)]          # DRF views (unsafe methods)
    user_rate_limit_hit(user=user, scope=ITEM_WRITES)           # anywhere else (GraphQL)

Rates are settings (`RATE_LIMITS`, config/settings/jwt.py): `"<count>/<second|minute|hour|
day>"`; a count of 0 (or no entry) turns a limit off. Past it: 429 with Retry-After (REST), a
GraphQL error with `extensions.code == "RATE_LIMITED"` (GraphQL).
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from rest_framework.exceptions import Throttled

from accounts.models import RateLimitWindow
from api.errors import ApiError

ITEM_WRITES = "item-writes"
PIPELINE_RUNS = "pipeline-runs"
PIPELINE_UPLOAD_PUTS = "pipeline-upload-puts"

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


def user_rate_limit_hit(*, user, scope: str, rate_text: str | None = None) -> None:
    """Count one `scope` action by `user`; raise RateLimited once the window's limit is spent.
    `rate_text` is a feature's own setting; without it the rate is `RATE_LIMITS[scope]`.

    Refused attempts count too (they cost a request), so hammering does not shorten the wait.
    """
    if rate_text is None:
        rate_text = (getattr(settings, "RATE_LIMITS", {}) or {}).get(scope)
    rate = parse_rate(rate_text)
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
    """A DRF throttle: every unsafe-method request of the signed-in user counts.

        class ItemsApi(APIView):
            throttle_classes = [UserRateLimit.of(ITEM_WRITES)]

    DRF runs throttles after authentication and permissions, so only requests that would
    otherwise be served are counted. (Duck-typed: DRF needs only these two methods, and this
    module stays importable without DRF.)
    """

    scope = ""
    # Reads count too where each one costs (a browser GET holds a page for seconds).
    counts_reads = False

    def rate_text(self) -> str | None:
        """The rate; None reads `RATE_LIMITS[scope]`."""
        return None

    @classmethod
    def of(cls, scope: str) -> type["UserRateLimit"]:
        return type(f"UserRateLimit_{scope.replace('-', '_')}", (cls,), {"scope": scope})

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        if request.method in _SAFE_METHODS and not self.counts_reads:
            return True
        try:
            user_rate_limit_hit(user=user, scope=self.scope, rate_text=self.rate_text())
        except RateLimited as exc:
            # DRF's handler adds Retry-After and "Expected available in N seconds."
            raise Throttled(wait=exc.retry_after_seconds, detail=exc.what) from exc
        return True

    def wait(self) -> None:
        return None
