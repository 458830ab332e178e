"""The scheduled cleanup job (docs/contract.md §3.5), run as Zappa's schedule event runs it."""

import pytest

from benchmarks.lambda_events import scheduled_event
from pipelines import exact_json
from pipelines.models import PipelineRun
from tests.helpers.pipelines import run_start_in_packets

pytestmark = pytest.mark.django_db(transaction=True)

CLEANUP = "pipelines.lambda_consumers.cleanup"


def summary_of(**handled) -> dict:
    """The cleanup job's report: runs per outcome, per-run errors, purged runs and expired
    uploads."""
    return {
        "sent": [],
        "redriven": [],
        "failed": [],
        "waiting": [],
        "errors": {},
        "purged": 0,
        "expired_uploads": 0,
        **handled,
    }


def lose_one_map_message(sqs_lambda) -> str:
    queue = sqs_lambda.queues["map"]
    message = sqs_lambda.client.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=1)[
        "Messages"
    ][0]
    sqs_lambda.client.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    return message["Body"]


def test_a_run_stalled_by_a_lost_message_is_finished_by_the_cleanup_job(sqs_lambda, user, settings):
    array = list(range(1, 21))
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=array, packet_size=5).run
    lose_one_map_message(sqs_lambda)
    sqs_lambda.drain()
    run.refresh_from_db()
    assert run.state == "pending"
    assert run.result.elements_reduced == 15

    # Not stalled long enough yet: the job leaves the run alone.
    assert sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP)) == summary_of()

    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    summary = sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP))
    assert summary == summary_of(redriven=[str(run.id)])
    assert sqs_lambda.depth("map") == 1  # only the lost packet is sent again
    sqs_lambda.drain()

    run.refresh_from_db()
    assert (run.state, run.redrive_count) == ("done", 1)
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in array)
    assert sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP)) == summary_of()


def test_a_hopeless_run_is_failed_with_a_reason(sqs_lambda, user, settings, client, auth_headers):
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    settings.PIPELINE_MAX_REDRIVES = 1
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2, 3], packet_size=2
    ).run
    lose_one_map_message(sqs_lambda)
    lose_one_map_message(sqs_lambda)

    assert sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP))["redriven"] == [str(run.id)]
    lose_one_map_message(sqs_lambda)  # lost again: the queue keeps eating this run
    lose_one_map_message(sqs_lambda)
    assert sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP))["failed"] == [str(run.id)]

    state = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert state["state"] == "failed"
    assert state["result"] is None
    assert state["failureReason"] == (
        "No progress after 1 re-drives: 2 of 2 packets could not be mapped; see the dead letters."
    )
    assert PipelineRun.objects.get(id=run.id).finished_at is not None
