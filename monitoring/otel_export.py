"""The OpenTelemetry side of monitoring/tracing.py, imported only for sampled work.

One tracer provider per process: X-Ray-compatible trace ids (AwsXRayIdGenerator), parents read
from and written to X-Ray trace headers (AwsXRayPropagator), spans exported one by one over
OTLP/HTTP (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, default the ADOT collector layer's
http://localhost:4318/v1/traces). Exported as each span ends, not batched: Lambda freezes the
process once the response is out, and sampled work is a small share of the requests.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.aws.aws_xray_propagator import TRACE_HEADER_KEY
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

SERVICE_NAME = "serverless-handbook"
EXPORT_TIMEOUT_SECONDS = 0.5

_propagator = AwsXRayPropagator()
_tracer: Tracer | None = None


def tracer() -> Tracer:
    global _tracer
    if _tracer is None:
        # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (the stage's settings) override the name.
        name = os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME
        resource = Resource.create({"service.name": name})
        provider = TracerProvider(id_generator=AwsXRayIdGenerator(), resource=resource)
        # A healthy collector on localhost answers in milliseconds; without one (a stage whose
        # layer is missing) the SDK's 10 s default, spent retrying, would hold every sampled
        # request: fail within half a second instead (the span is lost, the request is not).
        configured = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" in os.environ
        exporter = OTLPSpanExporter(timeout=None if configured else EXPORT_TIMEOUT_SECONDS)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        _tracer = provider.get_tracer("monitoring.tracing")
    return _tracer


@contextmanager
def span_exported(
    name: str, *, parent_header: str, request_id: str | None, attributes: dict[str, str | int]
) -> Iterator[str]:
    """Yields the X-Ray trace header of the new span, for the messages sent inside it."""
    parent = _propagator.extract({TRACE_HEADER_KEY: parent_header})
    if request_id:
        attributes = {**attributes, "request_id": request_id}
    with tracer().start_as_current_span(name, context=parent, attributes=attributes):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield carrier.get(TRACE_HEADER_KEY, parent_header)
