"""Every error under the API's paths leaves as JSON, whatever raised it (docs/contract.md §2).

The admin is a browser UI and keeps Django's HTML pages.
"""

import logging
import traceback

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, JsonResponse

from api.errors import ApiError, error_payload, error_response, message_for_status

logger = logging.getLogger("api.errors")

ADMIN_PREFIX = "/admin/"


def is_admin_path(request) -> bool:
    return request.path_info.startswith(ADMIN_PREFIX)


class JsonErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or is_admin_path(request):
            return response
        media_type = response.get("Content-Type", "").split(";")[0].strip()
        # JSON already, also under a +json type (GraphQL's application/graphql-response+json).
        if media_type == "application/json" or media_type.endswith("+json") or response.streaming:
            return response
        # An HTML or empty error from Django itself (405 from require_http_methods, 400 from a
        # bad Host, CSRF 403...): same status, JSON body.
        json_response = error_response(
            message_for_status(response.status_code), response.status_code
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response

    def process_exception(self, request, exception):
        if is_admin_path(request):
            return None
        if isinstance(exception, ApiError):
            return error_response(exception.message, exception.status_code, exception.fields)
        if isinstance(exception, RequestDataTooBig):
            return error_response("Request body is too large", 413)
        if isinstance(exception, Http404):
            return error_response("Not found", 404)
        if isinstance(exception, PermissionDenied):
            return error_response("Forbidden", 403)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return error_response("Bad request", 400)
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        payload = error_payload("Internal server error")
        if settings.DEBUG:
            payload["traceback"] = traceback.format_exception(exception)
        return JsonResponse(payload, status=500)
