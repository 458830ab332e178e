"""DRF JSON parser and renderer that keep decimals exact (DRF's own parse floats and render
Decimal as strings)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from pipelines import exact_json


class ExactJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return exact_json.loads(stream.read())
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return exact_json.dumps(data).encode()
