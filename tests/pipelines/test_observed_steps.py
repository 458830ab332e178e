"""Each queue message and each scheduled run of the pipelines is one observed unit of work:
one access line, one metric event, the run's request id and the invocation's id on its lines,
whether Lambda (SQS events, Zappa's schedule) or a Celery worker runs it (docs/monitoring.md)."""

import uuid

import pytest

from benchmarks.zappa_lambda import LambdaContext
from pipelines import exact_json, lambda_consumers, tasks
from pipelines.registry import InvalidElement
from pipelines.services.steps import step_handle

pytestmark = pytest.mark.django_db

STEP_FIELDS = ("message", "route", "step", "run_id", "packet", "outcome", "request_id")


def map_body(elements: list, *, run_id: str) -> str:
    return exact_json.dumps(
        {
            "step": "map",
            "pipeline": "sumArray",
            "runId": run_id,
            "packet": 4,
            "requestId": "req-started-it",
            "elements": elements,
        }
    )


def test_a_step_leaves_one_access_line_and_one_metric_event(access_lines, metric_events):
    # Given a map message (of a run this database does not hold: mapped, then dropped)
    run_id = str(uuid.uuid4())

    # When it is handled
    step_handle(step="map", body=map_body([1, 2], run_id=run_id))

    # Then one line names the pipeline, step, run and packet, and one event counts it
    [line] = access_lines
    assert tuple(line[field] for field in STEP_FIELDS) == (
        "pipeline sumArray map ok",
        "pipelines.sumArray",
        "map",
        run_id,
        4,
        "ok",
        "req-started-it",
    )
    assert line["duration_ms"] >= 0
    assert metric_events("pipelines.sumArray") == (1, 0, 0)


def test_a_failed_step_is_an_error_not_a_failure(access_lines, metric_events):
    # Given a poison packet (a string to sum)
    body = map_body(["x"], run_id=str(uuid.uuid4()))

    # When it is handled it raises, for the queue to retry it
    with pytest.raises(InvalidElement):
        step_handle(step="map", body=body)

    # Then its line says so; a retried attempt is an error, the run's outcome counts failures
    [line] = access_lines
    assert (line["message"], line["outcome"]) == (
        "pipeline sumArray map error: InvalidElement",
        "error: InvalidElement",
    )
    assert metric_events("pipelines.sumArray") == (1, 1, 0)


@pytest.mark.django_db(transaction=True)  # the consumer closes its database connections
def test_an_sqs_consumer_line_carries_its_invocation_id(access_lines):
    event = {"Records": [{"messageId": "m-1", "body": map_body([1], run_id=str(uuid.uuid4()))}]}

    result = lambda_consumers.consume_map(event, LambdaContext(aws_request_id="inv-sqs"))

    assert result == {"batchItemFailures": []}
    [line] = access_lines
    assert (line["request_id"], line["invocation_id"]) == ("req-started-it", "inv-sqs")


def test_a_celery_step_line_carries_its_task_id(access_lines):
    body = map_body([1], run_id=str(uuid.uuid4()))

    tasks.run_step.apply(args=("map", body), task_id="task-step").get()

    [line] = access_lines
    assert (line["request_id"], line["invocation_id"]) == ("req-started-it", "task-step")


@pytest.mark.parametrize(
    "run_job",
    [
        lambda: lambda_consumers.stall_watch({}, LambdaContext(aws_request_id="inv-job")),
        lambda: tasks.stall_watch.apply(task_id="inv-job").get(),
    ],
    ids=["lambda", "celery"],
)
@pytest.mark.django_db(transaction=True)
def test_a_scheduled_run_is_observed_under_its_own_request_id(run_job, access_lines, metric_events):
    summary = run_job()

    assert summary == {"sent": [], "redriven": [], "waiting": [], "errors": {}}
    [line] = access_lines
    assert (line["message"], line["route"]) == (
        "scheduled pipelines.stall_watch ok",
        "jobs.pipelines.stall_watch",
    )
    assert line["invocation_id"] == "inv-job"
    assert line["request_id"] not in (None, "inv-job")
    assert metric_events("jobs.pipelines.stall_watch") == (1, 0, 0)
