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
