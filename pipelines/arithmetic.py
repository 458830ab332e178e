"""Exact arithmetic for pipelines: integers stay integers, decimals never round.

Decimal's default context rounds to 28 significant digits; sums of inputs like 1e30 + 0.1
would silently lose digits. Here any rounding raises instead (and the step is retried, then
dead-lettered), so a result is exact or absent, never approximately right.
"""

from contextlib import contextmanager
from decimal import Context, Inexact, InvalidOperation, Overflow, localcontext

# Far beyond any sum of inputs the API accepts (limited count and body size).
_EXACT = Context(prec=10_000, traps=[Inexact, InvalidOperation, Overflow])


@contextmanager
def exact_arithmetic():
    with localcontext(_EXACT):
        yield
