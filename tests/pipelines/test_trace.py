"""One id traces a run across the queues: the HTTP request that started it and every
consumer line for it (SQS consumers through Zappa's handler, Celery workers) carry it."""

import json

import pytest

from benchmarks.lambda_events import api_gateway_event
from benchmarks.zappa_lambda import LambdaContext, decode_api_gateway_response
from pipelines.models import PipelineRun
from tests.helpers.json_log_lines import json_lines_of
from tests.helpers.pipelines import sum_array_post
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def json_lines():
    with json_lines_of("monitoring.access") as lines:
        yield lines


def test_sqs_consumer_lines_carry_the_id_of_the_request_that_started_the_run(
    sqs_lambda, user, bearer_headers, json_lines
):
    # Given a run started through API Gateway, whose Lambda request id is the trace id
    event = api_gateway_event(
        "POST", "/sumArray", headers=bearer_headers(user), json_body=list(range(12))
    )
    context = LambdaContext(aws_request_id="req-trace-1")

    response = decode_api_gateway_response(sqs_lambda.lambda_.invoke(event, context))
    assert response.status_code == 200
    run_id = response.json()["arrayId"]
    assert response.header("X-Request-Id") == "req-trace-1"
    assert PipelineRun.objects.get(id=run_id).request_id == "req-trace-1"

    # When the consumers (other Lambda invocations) process its messages
    sqs_lambda.drain()

    # Then each consumer line of the run carries the request id, and its own invocation id
    lines = [line for line in json_lines if line.get("run_id") == run_id]
    assert {line["step"] for line in lines} == {"map", "reduce"}
    assert all(line["request_id"] == "req-trace-1" for line in lines)
    assert all(line["invocation_id"] not in (None, "req-trace-1") for line in lines)
    assert all(line["outcome"] == "ok" and line["duration_ms"] >= 0 for line in lines)


@pytest.mark.postgres_only
def test_celery_worker_lines_carry_the_id_of_the_request_that_started_the_run(
    celery_worker_factory, client, auth_headers
):
    response = sum_array_post(client, auth_headers, [1, 2, 3, 4, 5])
    request_id = response["X-Request-Id"]
    run_id = response.json()["arrayId"]

    worker = celery_worker_factory().start()
    wait_for(lambda: PipelineRun.objects.get(id=run_id).state == "done", message=worker.log)

    def run_lines():
        lines = []
        for text in worker.log().splitlines():
            if text.startswith("{") and run_id in text:
                lines.append(json.loads(text))
        return lines if {line.get("step") for line in lines} >= {"map", "reduce"} else None

    lines = wait_for(run_lines, timeout=20, message=worker.log)
    assert all(line["request_id"] == request_id for line in lines)
    assert all(line["invocation_id"] and line["invocation_id"] != request_id for line in lines)
    # Celery's own lines are JSON lines too (Django's LOGGING, not Celery's text format), and
    # name the task without its arguments (the run's elements)
    celery_lines = [
        json.loads(text)
        for text in worker.log().splitlines()
        if text.startswith("{") and '"logger":"celery.' in text
    ]
    assert any(line["message"].endswith("received") for line in celery_lines), worker.log()
    assert not [text for text in worker.log().splitlines() if text.startswith("[20")]
    assert all("data" not in line for line in celery_lines)
