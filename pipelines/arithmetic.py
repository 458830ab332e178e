"""Exact arithmetic for pipelines: integers stay integers, decimals never round.

Decimal's default context rounds to 28 significant digits (1e30 + 0.1 would lose digits);
here any rounding raises instead, so the step is retried then dead-lettered, and a result is
exact or absent, never approximately right. The range of an element (checked at POST) is
chosen so every accepted run can be summed and written out: docs/pipelines.md "Which numbers
/sumArray accepts" and the limits below.
"""

import sys
from contextlib import contextmanager
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext

MAX_INTEGER_DIGITS = 4000
MAX_FRACTION_DIGITS = 4000
# Elements in one run are far fewer than 10**18 (PIPELINE_MAX_ELEMENTS, 100 000 by default).
MAX_COUNT_DIGITS = 18
# The digits before the point of a sum of that many elements, each doubled.
SUM_INTEGER_DIGITS = MAX_INTEGER_DIGITS + MAX_COUNT_DIGITS + 1
_PYTHON_INT_TEXT_DIGITS = 4300  # sys.get_int_max_str_digits() default (0 means no limit)
_PRECISION = 10_000
assert SUM_INTEGER_DIGITS <= _PYTHON_INT_TEXT_DIGITS
assert SUM_INTEGER_DIGITS + MAX_FRACTION_DIGITS <= _PRECISION

_EXACT = Context(prec=_PRECISION, traps=[Inexact, InvalidOperation, Overflow])


@contextmanager
def exact_arithmetic():
    with localcontext(_EXACT):
        yield


class OutOfRangeNumber:
    """A JSON number too large or too precise for Python to even hold (a 5000-digit
    integer, 1e999999999999999999999): kept as its text, so the input check can name it
    instead of the parser failing on the whole body."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return f"OutOfRangeNumber({self.text[:20]!r})"


def client_decimal(text: str) -> Decimal | OutOfRangeNumber:
    """json's parse_float for client bodies: exact Decimal, or the text when out of range."""
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal can hold at all
        return OutOfRangeNumber(text)


def client_int(text: str) -> int | OutOfRangeNumber:
    """json's parse_int for client bodies: int, or the text beyond Python's digit limit."""
    limit = sys.get_int_max_str_digits()
    if limit and len(text.lstrip("-")) > limit:
        return OutOfRangeNumber(text)
    return int(text)


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]} ({len(text)} characters)"


def _integer_digits(number: int) -> int:
    """Decimal digits of `number`, without str() (refused beyond 4300 digits)."""
    magnitude = abs(number)
    if magnitude == 0:
        return 1
    # 2**(b-1) <= magnitude < 2**b, so the count is this lower bound or one more.
    lower_bound = int((magnitude.bit_length() - 1) * 0.30102999566398120) + 1
    return lower_bound + 1 if magnitude >= 10**lower_bound else lower_bound


_RULE = (
    f"a number may have at most {MAX_INTEGER_DIGITS} digits before the decimal point "
    f"and {MAX_FRACTION_DIGITS} after it"
)
# Integers below this many bits have fewer than MAX_INTEGER_DIGITS digits: no count needed.
_SURELY_SHORT_BITS = int((MAX_INTEGER_DIGITS - 1) / 0.30103)


def number_range_problem(number) -> str | None:
    """Why `number` (int, Decimal or OutOfRangeNumber) cannot be summed exactly, for a
    person; None when it can. Cheap for ordinary numbers: it runs on every element."""
    if isinstance(number, int):
        if number.bit_length() <= _SURELY_SHORT_BITS:
            return None
        integer_digits = _integer_digits(number)
        if integer_digits > MAX_INTEGER_DIGITS:
            return f"this integer has {integer_digits} digits before the decimal point ({_RULE})"
        return None
    if isinstance(number, OutOfRangeNumber):
        return f"{_shown(number.text)} is too large or too precise to sum exactly ({_RULE})"
    _, digits, exponent = number.as_tuple()
    integer_digits, fraction_digits = len(digits) + exponent, -exponent
    if integer_digits > MAX_INTEGER_DIGITS:
        return (
            f"{_shown(str(number))} has {integer_digits} digits before the decimal point ({_RULE})"
        )
    if fraction_digits > MAX_FRACTION_DIGITS:
        return (
            f"{_shown(str(number))} has {fraction_digits} digits after the decimal point ({_RULE})"
        )
    return None
