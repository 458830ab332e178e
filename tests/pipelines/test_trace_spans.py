"""Tracing across the queues: a sampled request that starts a run exports its `django` span,
and each step of that run (SQS consumers through Zappa's handler, a real Celery worker)
exports a `pipeline.<step>` span in the same trace, with the run's request id, to an OTLP/HTTP
receiver on loopback. The consumers' own invocations are not sampled: the trace reaches them
through the messages (their `trace` field)."""

import pytest

from benchmarks.lambda_events import api_gateway_event
from benchmarks.otlp_receiver import OtlpReceiver
from benchmarks.zappa_lambda import LambdaContext, decode_api_gateway_response
from pipelines.models import PipelineRun
from tests.helpers.pipelines import sum_array_post
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLED = "Root=1-6759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
NOT_SAMPLED = "Root=1-6759e988-0d862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


@pytest.fixture
def receiver(monkeypatch):
    from monitoring import otel_export

    server = OtlpReceiver()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", server.endpoint)
    monkeypatch.setattr(otel_export, "_tracer", None)  # a provider exporting to this receiver
    yield server
    server.shutdown()


def assert_run_traced(receiver, *, request_id: str, run_id: str) -> None:
    [request_span] = receiver.named("django")
    assert request_span["attributes"]["request_id"] == request_id
    steps = [span for span in receiver.spans if span["name"].startswith("pipeline.")]
    assert {span["name"] for span in steps} == {"pipeline.map", "pipeline.reduce"}
    for span in steps:
        assert span["trace_id"] == request_span["trace_id"]
        assert span["attributes"]["request_id"] == request_id
        assert span["attributes"]["pipeline.run_id"] == run_id
    # Each step hangs under the span that sent its message: the request, or a map step.
    sent_by = {span["span_id"] for span in receiver.spans}
    assert all(span["parent_span_id"] in sent_by for span in steps)


def test_sqs_steps_of_a_sampled_request_join_its_trace(
    sqs_lambda, user, bearer_headers, receiver, monkeypatch
):
    # Given a request Lambda sampled, that starts a run
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    event = api_gateway_event(
        "POST", "/sumArray", headers=bearer_headers(user), json_body=list(range(12))
    )
    response = decode_api_gateway_response(
        sqs_lambda.lambda_.invoke(event, LambdaContext(aws_request_id="req-span-1"))
    )
    assert response.status_code == 200
    run_id = response.json()["arrayId"]

    # When the SQS consumers run in invocations Lambda did not sample
    monkeypatch.setenv("_X_AMZN_TRACE_ID", NOT_SAMPLED)
    sqs_lambda.drain()

    # Then the request and every step of its run are spans of one trace with its request id
    assert PipelineRun.objects.get(id=run_id).state == "done"
    assert_run_traced(receiver, request_id="req-span-1", run_id=run_id)


@pytest.mark.postgres_only
def test_celery_steps_of_a_sampled_request_join_its_trace(
    celery_worker_factory, client, auth_headers, receiver, monkeypatch
):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    # (served as a Lambda invocation: only those are sampled by Lambda)
    response = sum_array_post(
        client, auth_headers, [1, 2, 3, 4, 5], **{"lambda.context": LambdaContext()}
    )
    request_id = response["X-Request-Id"]
    run_id = response.json()["arrayId"]

    worker = celery_worker_factory(
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.endpoint, _X_AMZN_TRACE_ID=""
    ).start()
    wait_for(lambda: PipelineRun.objects.get(id=run_id).state == "done", message=worker.log)
    wait_for(lambda: len(receiver.named("pipeline.reduce")) == 1, message=worker.log)

    assert_run_traced(receiver, request_id=request_id, run_id=run_id)
    assert {span["service"] for span in receiver.spans} == {"serverless-handbook"}
