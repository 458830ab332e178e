"""Reading a request body the way every API of the project does (docs/contract.md §2), and the one
wording of each mistake a client can make with it.

DRF parsers read the request stream themselves, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (only `request.body` enforces it), so the limit is applied here
while reading. Any Content-Type is accepted as JSON: the book's clients send none
(`fetch` says text/plain, `curl -d` says application/x-www-form-urlencoded).

Every JSON endpoint (auth, items, pipelines) decodes through `decode_json`, so the same bad
body gets the same message everywhere; only the expected shape ("object"/"array") differs.
"""

import json
from collections.abc import Callable

from django.conf import settings
from rest_framework.parsers import BaseParser

from api.errors import ApiError
from api.json_values import NonFiniteNumber, json_type_name, refuse_non_finite


class RequestBodyTooLarge(ApiError):
    status_code = 413

    def __init__(self, max_bytes: int):
        super().__init__(f"Request body is too large (more than {max_bytes} bytes)")


class MalformedJson(ApiError):
    """The body is not JSON text; `message` says where and why, for a person."""

    def __init__(self, detail: str):
        super().__init__(f"Malformed JSON: {detail}")


# json's messages, said for a person who is not reading the parser's source.
_JSON_ERROR_WORDING = {
    "Expecting value": "a value was expected",
    "Expecting ',' delimiter": "a comma was expected",
    "Expecting ':' delimiter": "a colon was expected",
    "Expecting property name enclosed in double quotes": "a key in double quotes was expected",
    "Unterminated string starting at": "a string is not closed",
    "Extra data": "there is more text after the JSON value",
    "Invalid control character at": "a string contains a raw control character (escape it)",
    "Invalid \\escape": "a string contains an invalid escape",
    "Invalid \\uXXXX escape": "a string contains an invalid \\u escape",
    "Illegal trailing comma before end of object": "a comma was expected",
    "Illegal trailing comma before end of array": "a comma was expected",
}


def _int_within_python_limit(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        # Python refuses to read integers of more than sys.get_int_max_str_digits() digits.
        digits = len(text.lstrip("-"))
        raise ApiError(f"A number in the body is too long ({digits} digits)") from None


def empty_body_message(shape: str) -> str:
    return f"Request body is empty: send a JSON {shape}"


def wrong_shape_message(shape: str, value) -> str:
    return f"Request body must be a JSON {shape}, not {json_type_name(value)}"


def decode_json(
    raw: bytes,
    *,
    shape: str | None = None,
    parse_float: Callable[[str], object] | None = None,
    parse_int: Callable[[str], object] | None = None,
):
    """The body as a JSON value, or an ApiError worded the same for every endpoint.

    `shape` ("object" or "array"), when given, is the only top-level value accepted."""
    if not raw.strip():
        raise ApiError(empty_body_message(shape or "value"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("the body is not UTF-8 text") from None
    value = _json_parsed(text, parse_float=parse_float, parse_int=parse_int)
    if (shape == "object" and not isinstance(value, dict)) or (
        shape == "array" and not isinstance(value, list)
    ):
        raise ApiError(wrong_shape_message(shape, value))
    return value


def _json_parsed(text: str, *, parse_float, parse_int):
    """json.loads, with every way it fails worded as MalformedJson."""
    try:
        return json.loads(
            text,
            parse_constant=refuse_non_finite,
            parse_float=parse_float,
            parse_int=parse_int or _int_within_python_limit,
        )
    except NonFiniteNumber as exc:
        raise MalformedJson(str(exc)) from None
    except json.JSONDecodeError as exc:
        wording = _JSON_ERROR_WORDING.get(exc.msg, exc.msg)
        raise MalformedJson(f"{wording} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise MalformedJson("nested too deeply") from None


def read_limited(stream, *, content_length: int | None, max_bytes: int | None = -1) -> bytes:
    """The body, refused past `max_bytes` (default: DATA_UPLOAD_MAX_MEMORY_SIZE; None: no
    limit)."""
    if max_bytes == -1:
        max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if max_bytes is None:
        return stream.read()
    if content_length is not None and content_length > max_bytes:
        raise RequestBodyTooLarge(max_bytes)
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise RequestBodyTooLarge(max_bytes)
    return raw


def declared_content_length(parser_context) -> int | None:
    request = (parser_context or {}).get("request")
    if request is None:
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def json_body_of(request, *, shape: str):
    """The request's decoded body, which must be a JSON `shape`; an empty body (which DRF
    never hands to a parser) gets the same message as from `decode_json`."""
    if request.stream is None:
        raise ApiError(empty_body_message(shape))
    data = request.data
    if shape == "object" and not isinstance(data, dict):
        raise ApiError(wrong_shape_message(shape, data))
    if shape == "array" and not isinstance(data, list):
        raise ApiError(wrong_shape_message(shape, data))
    return data


class LimitedAnyContentTypeParser(BaseParser):
    """JSON from any Content-Type, with the size limit applied and the shared wording.
    Subclasses set `shape` (the top-level value they accept) and may override `decode`
    for other number decoding."""

    media_type = "*/*"
    shape: str | None = None

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_limited(
            stream,
            content_length=declared_content_length(parser_context),
            max_bytes=self.body_max_bytes(),
        )
        return self.decode(raw)

    def body_max_bytes(self) -> int | None:
        """The per-endpoint body limit hook: an endpoint whose bodies are bigger by design
        (the pipelines' arrays) overrides it with its own documented limit."""
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def decode(self, raw: bytes):
        return decode_json(raw, shape=self.shape)


class JsonObjectParser(LimitedAnyContentTypeParser):
    """A JSON object whatever the Content-Type, within the body size limit: the auth and
    items endpoints' parser."""

    shape = "object"
