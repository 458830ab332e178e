"""What a client may store: JSON that Postgres jsonb and every client can hold.

Checked iteratively (no recursion), so hostile nesting costs a loop, not the stack.
"""

import math

from api.errors import ApiError


class UnstorableJson(ApiError):
    pass


def _check_text(text: str, where: str) -> None:
    # jsonb and text columns refuse NUL; lone surrogates cannot be encoded as UTF-8.
    if "\x00" in text:
        raise UnstorableJson(f"{where} contains a NUL character (\\u0000), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnstorableJson(f"{where} contains an unpaired surrogate (invalid Unicode)") from exc


def check_storable_json(value, *, max_depth: int) -> None:
    """Raise UnstorableJson (400) for nesting deeper than max_depth, non-finite numbers,
    NUL characters or invalid Unicode anywhere in `value`."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth > max_depth:
                raise UnstorableJson(f"JSON is nested too deeply (more than {max_depth} levels)")
            if isinstance(current, dict):
                for key, child in current.items():
                    _check_text(key, "A key")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in current)
        elif isinstance(current, str):
            _check_text(current, "A string")
        elif isinstance(current, float) and not math.isfinite(current):
            raise UnstorableJson("Numbers must be finite (no NaN or Infinity)")
