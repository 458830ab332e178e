"""The id of the request (or Lambda invocation) being served, for logs and responses."""

import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_from_lambda_context(context) -> str | None:
    return getattr(context, "aws_request_id", None) if context is not None else None


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Tags the request with the Lambda request id (or X-Request-Id, or a new one).

    The same id goes into every log line of the request and back in the X-Request-Id header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = (
            request_id_from_lambda_context(request.META.get("lambda.context"))
            or request.headers.get("X-Request-Id", "")[:64]
            or new_request_id()
        )
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-Id"] = request_id
        return response
