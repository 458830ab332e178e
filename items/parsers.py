"""Reading a request body as one JSON object, with the project's limits really applied.

DRF reads the request stream itself, which bypasses DATA_UPLOAD_MAX_MEMORY_SIZE (only
`request.body` enforces it), so the size limit is applied here while reading.
"""

import json

from django.conf import settings
from rest_framework.parsers import BaseParser

from api.errors import ApiError

EMPTY_BODY = "Request body is empty: send a JSON object"


class RequestBodyTooLarge(ApiError):
    status_code = 413

    def __init__(self, max_bytes: int):
        super().__init__(f"Request body is too large (more than {max_bytes} bytes)")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def read_limited(stream, *, content_length: int | None) -> bytes:
    max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if max_bytes is None:
        return stream.read()
    if content_length is not None and content_length > max_bytes:
        raise RequestBodyTooLarge(max_bytes)
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise RequestBodyTooLarge(max_bytes)
    return raw


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


class ClientJsonParser(BaseParser):
    """Any content type is read as JSON: the book's curl examples send no JSON content type
    (`curl -d '{...}'` says application/x-www-form-urlencoded)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        content_length = None
        if request is not None:
            try:
                content_length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                content_length = None
        return loads_json(read_limited(stream, content_length=content_length))


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
