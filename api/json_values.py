"""Naming decoded JSON values for people. No DRF import: pipelines' element checks use it
at start-up (a cold start must not load DRF's serializers)."""


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
