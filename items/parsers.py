"""Reading a request body as one JSON object (the size limit and any Content-Type come from
api.request_body)."""

import json

from api.errors import ApiError
from api.request_body import LimitedAnyContentTypeParser

EMPTY_BODY = "Request body is empty: send a JSON object"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def loads_json(raw: bytes):
    if not raw.strip():
        raise ApiError(EMPTY_BODY)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("Malformed JSON: the body is not UTF-8") from exc
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ApiError("Malformed JSON: nested too deeply") from exc
    except ValueError as exc:
        raise ApiError(f"Malformed JSON: {exc}") from exc


class ClientJsonParser(LimitedAnyContentTypeParser):
    """Any content type is read as JSON: the book's curl examples send no JSON content type
    (`curl -d '{...}'` says application/x-www-form-urlencoded)."""

    def decode(self, raw: bytes):
        return loads_json(raw)


def json_object_from(request) -> dict:
    """The request's body as a JSON object, or a 400/413 ApiError saying what is wrong."""
    data = request.data
    if request.stream is None:
        raise ApiError(EMPTY_BODY)
    if not isinstance(data, dict):
        raise ApiError(f"Request body must be a JSON object, not {json_type_name(data)}")
    return data


def json_type_name(value) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "an object"
