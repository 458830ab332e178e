"""The id of the request (or Lambda invocation) being served, for logs and responses.

`request_id` is the trace id: the HTTP request's id, carried by the pipeline messages that
request started, so a consumer's lines for that run carry it too. `invocation_id` is the
unit of work running now (the Lambda invocation, the Celery task).
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
# The id of the last response this thread finished: the development server and gunicorn log
# their access line after the middleware has returned, in the same thread.
last_served_request_id: ContextVar[str | None] = ContextVar("last_served_request_id", default=None)
# What the client sent as X-Request-Id: kept for correlation, never trusted as our id.
client_request_id: ContextVar[str | None] = ContextVar("client_request_id", default=None)

current_invocation_id: ContextVar[str | None] = ContextVar("current_invocation_id", default=None)

CLIENT_REQUEST_ID_MAX_LENGTH = 64

_cold = True


def cold_start_consumed() -> bool:
    """True for the first request or event this process serves (the cold start), then False."""
    global _cold
    cold, _cold = _cold, False
    return cold


@contextmanager
def trace_bound(*, request_id: str | None, invocation_id: str | None = None) -> Iterator[None]:
    """Log lines inside carry this request id (kept when None) and invocation id."""
    tokens = []
    if request_id:
        tokens.append((current_request_id, current_request_id.set(request_id)))
    if invocation_id:
        tokens.append((current_invocation_id, current_invocation_id.set(invocation_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def request_id_from_lambda_context(context) -> str | None:
    return getattr(context, "aws_request_id", None) if context is not None else None


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Tags the request with the Lambda request id, or a new one generated here.

    The same id goes into every log line of the request and back in the X-Request-Id header.
    A client-sent X-Request-Id is logged as `client_request_id` but never becomes the id: a
    client could otherwise forge or collide with the ids operators search logs by.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = (
            request_id_from_lambda_context(request.META.get("lambda.context")) or new_request_id()
        )
        request.request_id = request_id
        sent = request.headers.get("X-Request-Id", "")[:CLIENT_REQUEST_ID_MAX_LENGTH] or None
        token = current_request_id.set(request_id)
        client_token = client_request_id.set(sent)
        last_served_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
            client_request_id.reset(client_token)
        response["X-Request-Id"] = request_id
        return response
