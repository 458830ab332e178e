"""One JSON line and one metric event per HTTP request, on the `monitoring.access` logger
(its own level: prod's WARNING does not silence it)."""

import logging
from time import perf_counter

from django.utils.functional import SimpleLazyObject

from monitoring.logs import info_written_as_json, json_info_write, log_info_fields
from monitoring.metrics import metric_record
from monitoring.registry import ROUTE_GROUP_OTHER, route_groups
from monitoring.request_context import cold_start_consumed
from monitoring.tracing import sampled_by_lambda, traced_span

access_logger = logging.getLogger("monitoring.access")


def access_recorded(
    fields: dict, msg: str, *args, part: str, errors: int, failures: int, duration_ms: float
) -> None:
    """A unit of work's access line (`fields`, message `msg % args`) and its metric event:
    where LOGGING's handler writes the line, an emf event rides in it (one line, not two)."""
    if info_written_as_json(access_logger):
        metric_record(
            part=part, errors=errors, failures=failures, duration_ms=duration_ms, line=fields
        )
        json_info_write(access_logger, fields, msg % args)
    else:  # another handler gets a record: the event gets a line of its own
        metric_record(part=part, errors=errors, failures=failures, duration_ms=duration_ms)
        log_info_fields(access_logger, fields, msg, *args)


def route_group(path_info: str) -> str:
    """The part a request counts under, by its path's first segment (monitoring.registry)."""
    first = path_info.strip("/").split("/", 1)[0]
    return route_groups.get(first, ROUTE_GROUP_OTHER)


def _known_user_id(request) -> int | None:
    """The user the view authenticated (DRF's JWT authentication replaces request.user), never
    evaluating Django's lazy session user just for a log line (a query per request)."""
    user = request.__dict__.get("user")
    if user is None or type(user) is SimpleLazyObject:  # type(): does not evaluate it
        return None
    return user.pk if user.is_authenticated else None


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cold_start = cold_start_consumed()
        started = perf_counter()
        # Only Lambda samples (its `_X_AMZN_TRACE_ID`), and only Zappa's handler puts the
        # invocation's context in the request: elsewhere the environment is not read (~1 µs).
        if "lambda.context" in request.META and sampled_by_lambda():
            with traced_span("django", request_id=getattr(request, "request_id", None)):
                response = self.get_response(request)
        else:  # traced_span would do nothing: its context manager costs ~1 µs a request
            response = self.get_response(request)
        duration_ms = (perf_counter() - started) * 1000
        part = route_group(request.path_info)
        method, path, status = request.method, request.path, response.status_code
        fields = {
            "method": method,
            "path": path,
            "route": part,
            "status": status,
            "duration_ms": int(duration_ms * 1000) / 1000,  # to the µs; round() costs 5 times more
            "user_id": _known_user_id(request),
            "cold_start": cold_start,
        }
        failed = int(status >= 500)
        access_recorded(
            fields,
            "%s %s %s",
            method,
            path,
            status,
            part=part,
            errors=failed,
            failures=failed,
            duration_ms=duration_ms,
        )
        return response
