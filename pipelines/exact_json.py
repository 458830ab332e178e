"""JSON text in and out without losing a digit: decimals travel as Decimal, never as float.

Messages, scratchpad values and API bodies all go through here, so a number read from a
request reaches the result with exactly the digits it came with.
"""

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from api.json_values import refuse_non_finite


def loads(text: str | bytes) -> Any:
    """Parse JSON; fractions become Decimal, NaN/Infinity are refused. Anything that is not
    JSON this module can hold (a number Decimal cannot represent, nesting deeper than
    Python's recursion limit) is a ValueError, like any other malformed text.

    Client bodies are read by api.request_body.decode_json with pipelines.arithmetic's
    hooks instead, which keep out-of-range numbers so the input check can name them."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse_non_finite)
    except InvalidOperation:
        raise ValueError("a number is beyond the range a Decimal can hold") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def dumps(value: Any) -> str:
    """Compact JSON; Decimal written as the number it is (json.dumps cannot do that)."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON allows")
        return str(value)
    if kind is str:
        return _dump_str(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{_dump_str(str(key))}:{dumps(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(map(dumps, value)) + "]"
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


_dump_str = json.encoder.encode_basestring_ascii
