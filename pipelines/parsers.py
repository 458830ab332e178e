"""DRF JSON parser and renderer that keep decimals exact (DRF's own parse floats and render
Decimal as strings)."""

from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer

from api.request_body import LimitedAnyContentTypeParser
from pipelines import exact_json


class ExactJSONParser(LimitedAnyContentTypeParser):
    def decode(self, raw: bytes):
        try:
            return exact_json.loads(raw)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return exact_json.dumps(data).encode()
