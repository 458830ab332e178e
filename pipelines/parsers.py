"""DRF JSON parser and renderer that keep decimals exact (DRF's own parse floats and render
Decimal as strings). The size limit, any Content-Type and the wording of every mistake come
from api.request_body."""

from rest_framework.renderers import JSONRenderer

from api.request_body import LimitedAnyContentTypeParser, decode_json
from pipelines import exact_json
from pipelines.arithmetic import client_decimal, client_int


class ExactJSONParser(LimitedAnyContentTypeParser):
    """A JSON array (the pipelines' input) with exact numbers. A number too large for
    Python to hold is kept as pipelines.arithmetic.OutOfRangeNumber, so the element check
    names it (index and why) instead of the parser refusing the whole body."""

    shape = "array"

    def decode(self, raw: bytes):
        return decode_json(raw, shape=self.shape, parse_float=client_decimal,
                           parse_int=client_int)


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return exact_json.dumps(data).encode()
