"""Reading a request body the way every API of the project does (design §2).

DRF parsers read the request stream themselves, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (only `request.body` enforces it), so the limit is applied here
while reading. Any Content-Type is accepted as JSON: the book's clients send none
(`fetch` says text/plain, `curl -d` says application/x-www-form-urlencoded).
"""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from api.errors import ApiError


class RequestBodyTooLarge(ApiError):
    status_code = 413

    def __init__(self, max_bytes: int):
        super().__init__(f"Request body is too large (more than {max_bytes} bytes)")


def read_limited(stream, *, content_length: int | None) -> bytes:
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


class LimitedAnyContentTypeParser(BaseParser):
    """JSON from any Content-Type, with the size limit applied. Apps that need other
    decoding (exact decimals, stricter messages) override `decode`."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_limited(stream, content_length=declared_content_length(parser_context))
        return self.decode(raw)

    def decode(self, raw: bytes):
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
