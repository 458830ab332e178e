"""Decoding and naming JSON values the one way of the project. No DRF import: pipelines'
element checks and exact_json use it at start-up (a cold start must not load DRF)."""


class NonFiniteNumber(ValueError):
    """NaN or (-)Infinity in JSON text: Python's json reads them, JSON has no such numbers."""


def refuse_non_finite(name: str):
    """`json.loads(..., parse_constant=refuse_non_finite)`: the project's one NaN/Infinity
    refusal (request bodies in api.request_body, stored and queued values in
    pipelines.exact_json). A ValueError, like any other malformed text."""
    raise NonFiniteNumber(f"{name} is not a number in JSON (JSON has no NaN or Infinity)")


def json_type_name(value) -> str:
    """What a decoded JSON value is, as a person would call it ("an array", "null"...)."""
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    return "a number"
