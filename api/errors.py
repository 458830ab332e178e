"""The one JSON error shape: {"status": "error", "error": "...", "fields"?: {...}}."""

from http import HTTPStatus
from typing import Any

from django.http import JsonResponse


class ApiError(Exception):
    """A client-facing error raised by services or views; becomes the JSON error shape."""

    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields


class NotFound(ApiError):
    status_code = 404


def error_payload(message: str, fields: dict | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"status": "error", "error": message}
    if fields:
        payload["fields"] = fields
    return payload


def error_response(message: str, status: int = 400, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_payload(message, fields), status=status)


def message_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _flatten_detail(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_flatten_detail(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten_detail(value)}" for key, value in detail.items())
    return str(detail)


def drf_exception_handler(exc, context):
    """DRF's handler, reshaped: every DRF error leaves in the project's JSON error shape."""
    # DRF loads only once a DRF view runs: the middleware imports this module on every cold
    # start, and /hello imports no DRF (tests/config/test_cold_start_imports.py).
    from rest_framework import exceptions
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, ApiError):
        return Response(error_payload(exc.message, exc.fields), status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        fields = {key: _flatten_detail(value) for key, value in detail.items()}
        message = "Invalid input: " + "; ".join(f"{key}: {value}" for key, value in fields.items())
        response.data = error_payload(message, fields)
    elif isinstance(detail, dict) and "detail" in detail:
        response.data = error_payload(_flatten_detail(detail["detail"]))
    else:
        response.data = error_payload(_flatten_detail(detail))
    return response
