"""Tracing: a sampled Lambda request exports a `django` span with our request id, in the trace
Lambda started, over OTLP/HTTP to a receiver the test runs on loopback (the ADOT collector
layer's place); an unsampled one imports and sends nothing."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from benchmarks.lambda_events import api_gateway_event
from benchmarks.otlp_receiver import OtlpReceiver
from benchmarks.zappa_lambda import LambdaContext
from tests.helpers import PROJECT_ROOT

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"
LAMBDA_PARENT = "53995c3f42cd8ad8"


@pytest.fixture
def receiver():
    server = OtlpReceiver()
    yield server
    server.shutdown()


def cold_process(event: dict, endpoint: str, sampled: int, tmp_path):
    environment = {
        **os.environ,
        "HOME": str(tmp_path),
        # What the Lambda runtime sets for a function with active tracing.
        "LAMBDA_TASK_ROOT": str(PROJECT_ROOT),
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent={LAMBDA_PARENT};Sampled={sampled}",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # The handler answers, then the process lists the OpenTelemetry modules it imported.
    script = (
        "import json, sys; from benchmarks.zappa_lambda import main; main(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('opentelemetry'))))"
    )
    return subprocess.run(
        [sys.executable, "-c", script, "staging", "config.django.test", json.dumps(event)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_sampled_request_exports_a_span_with_our_request_id(receiver, tmp_path):
    process = cold_process(
        api_gateway_event("GET", "/hello", stage="staging"), receiver.endpoint, 1, tmp_path
    )

    assert process.returncode == 0, process.stderr[-2000:]
    response = json.loads(process.stdout.strip().splitlines()[-2])
    request_id = {key.lower(): value for key, value in response["headers"].items()}["x-request-id"]
    [span] = receiver.named("django")
    assert span["trace_id"] == TRACE_ID[2:].replace("-", "")  # X-Ray id <-> OTel id
    assert span["parent_span_id"] == LAMBDA_PARENT
    assert span["attributes"]["request_id"] == request_id
    assert span["service"] == "serverless-handbook"


def test_an_unsampled_request_sends_nothing_and_imports_no_opentelemetry(receiver, tmp_path):
    process = cold_process(
        api_gateway_event("GET", "/hello", stage="staging"), receiver.endpoint, 0, tmp_path
    )

    assert process.returncode == 0, process.stderr[-2000:]
    assert json.loads(process.stdout.strip().splitlines()[-1]) == []
    assert receiver.spans == []


def test_a_sampled_request_without_a_collector_is_answered_without_waiting(client, monkeypatch):
    from monitoring import otel_export

    # Given tracing on but nothing listening where spans go (a stage missing its layer)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"http://127.0.0.1:{closed_port}/v1/traces"
    )
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE_ID};Parent={LAMBDA_PARENT};Sampled=1")
    monkeypatch.setattr(otel_export, "_tracer", None)
    invocation = {"lambda.context": LambdaContext()}  # what Zappa's handler puts in the request
    client.get("/hello", **invocation)  # the first sampled request also pays the import

    started = time.perf_counter()
    response = client.get("/hello?name=Ann", **invocation)

    # Then the span is dropped after a bounded wait, not the SDK's 10 s of retries
    assert response.status_code == 200 and response.content.decode() == "Hello Ann 👋"
    assert time.perf_counter() - started < 2.0


def test_only_a_lambda_invocation_is_traced_by_lambdas_trace_variable(
    client, receiver, monkeypatch
):
    """_X_AMZN_TRACE_ID is Lambda's, set per invocation: a process that finds it in its
    environment otherwise (gunicorn started from a shell that had it) traces nothing, and
    its requests never read it (~1 µs each)."""
    from monitoring import otel_export

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE_ID};Parent={LAMBDA_PARENT};Sampled=1")
    monkeypatch.setattr(otel_export, "_tracer", None)

    client.get("/hello")
    assert receiver.spans == []

    client.get("/hello", **{"lambda.context": LambdaContext()})
    [span] = receiver.named("django")
    assert span["parent_span_id"] == LAMBDA_PARENT
