"""drf-spectacular's inspector for the items views. Imported only while /openapi.json is
generated (drf_spectacular.openapi costs ~40 ms, which no cold start should pay)."""

from drf_spectacular.openapi import AutoSchema


class JsonBodyRequiredAutoSchema(AutoSchema):
    """A raw-schema request body is optional to drf-spectacular; ours is required (no body is
    a 400), and the document must say so."""

    def _get_request_body(self, direction="request"):
        request_body = super()._get_request_body(direction)
        if request_body:
            request_body["required"] = True
        return request_body
