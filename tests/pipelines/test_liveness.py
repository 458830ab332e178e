"""Every accepted run finishes, on time (docs/pipelines.md "Liveness"): messages fit SQS,
a backlog is not a stall, one bad run never stops the cleanup of the others, a failed run
stays failed, dead letters are resolved and never duplicated, old input text is dropped.

SQS queues in moto's server, consumers and the cleanup job through Zappa's real handler."""

import json
from datetime import timedelta

import pytest
from django.core import checks
from django.utils import timezone

from benchmarks.lambda_events import scheduled_event
from pipelines import exact_json
from pipelines.models import DeadLetter, Packet, PipelineRun, RunResult, ScratchpadEntry
from pipelines.services.cleanup import runs_cleanup
from pipelines.services.dead_letters import dead_letter_store
from pipelines.services.runs import RunInputRefused, run_fail, run_start
from pipelines.transports.sqs import SQS_BATCH_BYTES, batches_by_size
from tests.helpers.pipelines import run_start_in_packets

pytestmark = pytest.mark.django_db(transaction=True)

CLEANUP = "pipelines.lambda_consumers.cleanup"
SQS_MESSAGE_LIMIT = 1_048_576


def map_bodies(sqs_lambda) -> list[str]:
    """Read (and put back at once) every map message waiting in the queue."""
    queue = sqs_lambda.queues["map"]
    bodies = {}
    for _ in range(50):
        received = sqs_lambda.client.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", [])
        if not received:
            break
        for message in received:
            bodies[message["MessageId"]] = message
    for message in bodies.values():
        sqs_lambda.client.change_message_visibility(
            QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [message["Body"] for message in bodies.values()]


# --- messages fit the transport ----------------------------------------------------------


def test_large_texts_are_cut_into_packets_that_fit_sqs_and_the_run_finishes(sqs_lambda, user):
    # Given five texts of 300 kB: one packet of 1000 elements would be a 1.5 MB message
    texts = [f"word{i} " * 50_000 for i in range(5)]

    started = run_start(owner=user, pipeline="wordCount", elements=texts)

    bodies = map_bodies(sqs_lambda)
    assert started.queued is True
    run = started.run
    assert len(bodies) == run.packet_count >= 2
    assert all(len(body.encode()) <= SQS_MESSAGE_LIMIT for body in bodies)
    sqs_lambda.drain()
    run.refresh_from_db()
    assert run.state == "done"
    assert exact_json.loads(run.result.value_json) == {f"word{i}": 50_000 for i in range(5)}


def test_long_numbers_are_sent_in_batches_under_the_sqs_batch_limit(sqs_lambda, user):
    # 10 000 numbers of 100 digits: ten 1000-element packets make a 1.07 MB batch
    numbers = [10**99 + i for i in range(10_000)]

    run = run_start(owner=user, pipeline="sumArray", elements=numbers).run
    sqs_lambda.drain()

    run.refresh_from_db()
    assert run.state == "done"
    assert exact_json.loads(run.result.value_json) == 2 * sum(numbers)


def test_an_element_no_message_can_hold_is_refused_at_the_door(
    sqs_lambda, user, client, auth_headers
):
    # 650 kB of Chinese is 1.3 MB once JSON escapes it as \\uXXXX
    text = "中文文本" * 55_000

    with pytest.raises(RunInputRefused, match="Element 1 is too large") as refused:
        run_start(owner=user, pipeline="wordCount", elements=["short", text])

    assert refused.value.position == 1
    assert not PipelineRun.objects.exists()


def test_sqs_batches_hold_at_most_ten_messages_and_one_mebibyte():
    bodies = ["x" * 300_000] * 7 + ["y"] * 25

    batches = batches_by_size(bodies)

    assert [body for batch in batches for body in batch] == bodies
    assert all(len(batch) <= 10 for batch in batches)
    assert all(sum(len(body) for body in batch) <= SQS_BATCH_BYTES for batch in batches)


# --- a backlog is not a stall ----------------------------------------------------------


def test_a_run_waiting_in_a_backlog_is_left_alone_and_finishes(sqs_lambda, user, settings):
    # Given a run whose messages sit in the queue with no consumer past the stall time
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    settings.PIPELINE_MAX_REDRIVES = 1
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=list(range(40)), packet_size=4
    ).run
    assert sqs_lambda.depth("map") == 10

    # When the cleanup job runs again and again
    summaries = [sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP)) for _ in range(4)]

    # Then nothing was re-sent nor failed: the run is waiting its turn
    assert all(summary["waiting"] == [str(run.id)] for summary in summaries)
    assert all(not summary["redriven"] and not summary["failed"] for summary in summaries)
    assert sqs_lambda.depth("map") == 10
    sqs_lambda.drain()
    run.refresh_from_db()
    assert (run.state, run.redrive_count) == ("done", 0)


def test_a_failed_run_never_turns_done(sqs_lambda, user, client, auth_headers):
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2, 3], packet_size=1
    ).run
    run_fail(run=run, reason="given up by an operator")

    sqs_lambda.drain()  # its messages still arrive

    state = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert state["state"] == "failed"
    assert state["failureReason"] == "given up by an operator"


# --- one bad run never stops the job -----------------------------------------------------


def test_a_run_that_cannot_be_sent_does_not_stop_the_cleanup_of_the_others(
    sqs_lambda, user, settings
):
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    long_ago = timezone.now() - timedelta(hours=1)
    # A run stored before packets were cut by bytes: its one packet is 1.2 MB.
    oversized = PipelineRun.objects.create(
        pipeline="sumArray",
        owner=user,
        element_count=1,
        packet_size=1,
        packet_count=1,
        last_sent_at=long_ago,
    )
    RunResult.objects.create(run=oversized, value_json="0")
    Packet.objects.create(
        run=oversized, index=0, element_count=1, elements_json="[" + "9" * 1_200_000 + "]"
    )
    fine = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2, 3, 4], packet_size=2
    ).run
    map_bodies(sqs_lambda)
    sqs_lambda.client.purge_queue(QueueUrl=sqs_lambda.queues["map"].url)  # fine's messages lost
    PipelineRun.objects.filter(id__in=[oversized.id, fine.id]).update(
        created_at=long_ago, updated_at=long_ago, last_sent_at=long_ago
    )
    RunResult.objects.filter(run__in=[oversized, fine]).update(updated_at=long_ago)

    summary = sqs_lambda.lambda_.invoke(scheduled_event(CLEANUP))

    assert list(summary["errors"]) == [str(oversized.id)]
    assert "BatchRequestTooLong" in summary["errors"][str(oversized.id)]
    assert summary["redriven"] == [str(fine.id)]
    sqs_lambda.drain()
    fine.refresh_from_db()
    assert fine.state == "done"


# --- dead letters ----------------------------------------------------------------------


def test_the_same_message_dead_lettered_again_updates_its_open_letter(user):
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[], packet_size=1).run
    body = json.dumps(
        {"step": "map", "pipeline": "sumArray", "runId": "x", "packet": 0, "elements": ["poison"]}
    )

    first = dead_letter_store(
        source="celery", step="map", body=body, error="E1", attempts=10, message_id="m1"
    )
    again = dead_letter_store(
        source="celery", step="map", body=body, error="E2", attempts=10, message_id="m2"
    )

    assert first.pk == again.pk
    assert DeadLetter.objects.count() == 1
    assert (again.attempts, again.error) == (20, "E2")
    assert run.state == "done"


def test_letters_of_a_run_that_finished_after_all_are_resolved(sqs_lambda, user):
    run_start_in_packets(owner=user, pipeline="sumArray", elements=[5, 6], packet_size=1)
    [first_body, *_] = sorted(map_bodies(sqs_lambda))
    # Its first packet had been dead-lettered (e.g. the database was down for a while)...
    letter = dead_letter_store(
        source="sqs", step="map", body=first_body, attempts=10, message_id="dlq-1"
    )
    assert letter.resolved_at is None

    sqs_lambda.drain()  # ... and a later delivery mapped it

    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert runs_cleanup()["errors"] == {}


# --- retention -------------------------------------------------------------------------


def test_finished_runs_lose_their_input_text_after_the_retention_time(sqs_lambda, user, settings):
    settings.PIPELINE_RETENTION_DAYS = 7
    old = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=list(range(10)), packet_size=5
    ).run
    recent = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2], packet_size=5
    ).run
    sqs_lambda.drain()
    PipelineRun.objects.filter(id=old.id).update(finished_at=timezone.now() - timedelta(days=8))

    summary = runs_cleanup()

    assert summary["purged"] == 1
    assert set(Packet.objects.filter(run=old).values_list("elements_json", flat=True)) == {"[]"}
    assert not ScratchpadEntry.objects.filter(run=old).exists()
    assert exact_json.loads(RunResult.objects.get(run=old).value_json) == 90
    assert Packet.objects.get(run=recent).elements_json == "[1,2]"
    assert runs_cleanup()["purged"] == 0


# --- settings that cannot work are refused at start --------------------------------------


def test_a_visibility_timeout_shorter_than_a_retry_countdown_is_an_error(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    settings.PIPELINE_RETRY_BACKOFF_MAX_SECONDS = 600

    errors = checks.run_checks(tags=[checks.Tags.compatibility])

    assert "pipelines.E010" in [error.id for error in errors]


def test_default_timings_recover_within_minutes(settings):
    from config.settings import celery as celery_settings
    from config.settings import pipelines as pipeline_settings

    assert celery_settings.CELERY_BEAT_SCHEDULE["pipelines-cleanup"]["schedule"] <= 15 * 60
    assert pipeline_settings.PIPELINE_STALL_AFTER_SECONDS <= 5 * 60
    assert (
        pipeline_settings.PIPELINE_RETRY_BACKOFF_MAX_SECONDS
        < celery_settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 300)
        <= 5 * 60
    )
