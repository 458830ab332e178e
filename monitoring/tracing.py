"""Tracing (staging and prod: `xray_tracing` in zappa_settings.json): each sampled request and
each pipeline step of a sampled run gets an OpenTelemetry span carrying our `request_id`, so
a trace is found from a log line and a log line from a trace (docs/monitoring.md, "Tracing").

Spans go over OTLP/HTTP to the collector (on Lambda, the ADOT collector layer on
localhost:4318, which exports to X-Ray). OpenTelemetry is imported only for a sampled unit
of work (monitoring/otel_export.py): an invocation Lambda sampled (`Sampled=1` in
`_X_AMZN_TRACE_ID`), or a pipeline message sent from inside a sampled span (its `trace`
field). Dev stages, unsampled requests and their runs pay one string test.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The X-Ray trace header ("Root=…;Parent=…;Sampled=1") of the span running now, which the
# pipeline messages it sends carry, so their steps join the trace; None when not traced.
current_trace_header: ContextVar[str | None] = ContextVar("current_trace_header", default=None)

TRACE_HEADER_MAX_LENGTH = 256


def is_sampled(trace_header: str | None) -> bool:
    return bool(trace_header) and "Sampled=1" in trace_header


def sampled_by_lambda() -> bool:
    return is_sampled(os.environ.get("_X_AMZN_TRACE_ID"))


@contextmanager
def traced_span(
    name: str,
    *,
    request_id: str | None,
    parent_header: str | None = None,
    attributes: dict[str, str | int] | None = None,
) -> Iterator[None]:
    """A span named `name` with our request id, child of `parent_header` (a message's trace)
    or else of the Lambda invocation's trace; nothing at all when neither is sampled."""
    if not is_sampled(parent_header):
        parent_header = os.environ.get("_X_AMZN_TRACE_ID")
        if not is_sampled(parent_header):
            yield
            return
    # OpenTelemetry loads only for sampled work (module docstring).
    from monitoring.otel_export import span_exported

    with span_exported(
        name, parent_header=parent_header, request_id=request_id, attributes=attributes or {}
    ) as header:
        token = current_trace_header.set(header)
        try:
            yield
        finally:
            current_trace_header.reset(token)
