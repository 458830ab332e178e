"""DRF JSON parser and renderer that keep decimals exact (DRF's own parse floats and render
Decimal as strings). The size limit, any Content-Type and the wording of every mistake come
from api.request_body."""

from django.conf import settings
from rest_framework.renderers import JSONRenderer

from api.errors import ApiError
from api.request_body import LimitedAnyContentTypeParser, decode_json, empty_body_message
from pipelines import exact_json
from pipelines.arithmetic import client_decimal, client_int


def pipeline_body_max_bytes() -> int:
    """The body limit of the pipelines' POSTs: the element limit times the documented
    bytes-per-element budget (within Lambda's 6 MB request payload; checked at start)."""
    return settings.PIPELINE_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


class ExactJSONParser(LimitedAnyContentTypeParser):
    """A JSON array (the pipelines' input) with exact numbers. A number too large for
    Python to hold is kept as pipelines.arithmetic.OutOfRangeNumber, so the element check
    names it (index and why) instead of the parser refusing the whole body.

    Any top-level value is decoded: the view takes an array, or {"upload": "<uploadId>"}.
    Its body limit is the pipelines' own (PIPELINE_MAX_ELEMENTS x the bytes-per-element
    budget), not DATA_UPLOAD_MAX_MEMORY_SIZE."""

    shape = None

    def body_max_bytes(self) -> int:
        return pipeline_body_max_bytes()

    def decode(self, raw: bytes):
        if not raw.strip():  # an array is what most clients should send
            raise ApiError(empty_body_message("array"))
        return decode_json(raw, shape=self.shape, parse_float=client_decimal, parse_int=client_int)


class ExactJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return exact_json.dumps(data).encode()
