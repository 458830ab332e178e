from decimal import Decimal

import pytest

from pipelines import exact_json
from pipelines.arithmetic import exact_arithmetic
from pipelines.builtin import SUM_ARRAY


def test_decimals_round_trip_with_every_digit():
    text = '{"elements":[1,0.1,12345678901234567890.123456789012345678901,-3e-7]}'

    value = exact_json.loads(text)

    assert value["elements"][1] == Decimal("0.1")
    assert exact_json.loads(exact_json.dumps(value)) == value
    assert exact_json.dumps(value["elements"][2]) == "12345678901234567890.123456789012345678901"


@pytest.mark.parametrize("text", ["[NaN]", "[Infinity]", "[-Infinity]"])
def test_non_finite_numbers_are_refused(text):
    with pytest.raises(ValueError):
        exact_json.loads(text)


def test_sum_is_exact_beyond_float_and_default_decimal_precision():
    elements = exact_json.loads("[1e30, 0.1, 0.2, 9007199254740993]")

    with exact_arithmetic():
        total = SUM_ARRAY.map_packet(elements)

    assert total == Decimal("2000000000000018014398509481986.6")


@pytest.mark.parametrize(
    "text",
    ["[1e999999999999999999999]", "[1e-999999999999999999999]", "[" * 100_000 + "]" * 100_000],
)
def test_text_it_cannot_hold_is_a_value_error_not_another_exception(text):
    # Given JSON whose numbers Decimal cannot hold, or nesting deeper than Python's recursion
    # When it is parsed, Then it is refused like any malformed text (callers catch ValueError)
    with pytest.raises(ValueError):
        exact_json.loads(text)


def test_the_range_leaves_room_for_the_largest_run_to_sum_exactly():
    from pipelines.arithmetic import MAX_COUNT_DIGITS, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS

    # Given the largest and the most precise elements the range allows
    widest = Decimal("9" * MAX_INTEGER_DIGITS + "." + "9" * MAX_FRACTION_DIGITS)
    largest_integer = int("9" * MAX_INTEGER_DIGITS)
    assert SUM_ARRAY.validate_element(widest) == widest
    assert SUM_ARRAY.validate_element(-largest_integer) == -largest_integer

    # When 10**MAX_COUNT_DIGITS of them are doubled and summed (as one multiplication)
    with exact_arithmetic():
        decimal_sum = 2 * widest * 10**MAX_COUNT_DIGITS + widest
    integer_sum = 2 * largest_integer * 10**MAX_COUNT_DIGITS

    # Then no digit is lost and the sums can be written out and read back
    assert exact_json.loads(exact_json.dumps([decimal_sum, integer_sum])) == [
        decimal_sum,
        integer_sum,
    ]


@pytest.mark.parametrize(
    "element", [Decimal("1e4000"), Decimal("1e-4001"), int("1" * 4001), Decimal("0e4001")]
)
def test_an_element_just_outside_the_range_is_invalid(element):
    from pipelines.registry import InvalidElement

    with pytest.raises(InvalidElement, match="at most 4000 digits before the decimal point"):
        SUM_ARRAY.validate_element(element)
