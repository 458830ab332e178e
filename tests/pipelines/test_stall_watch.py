"""The stall watch (docs/pipelines.md "Stall watch"): a run whose queue was purged is
re-driven within minutes, again at each new stall with backoff up to PIPELINE_MAX_REDRIVES,
a run waiting behind a backlog is left alone, and a re-drive the broker refused is not
counted. On RabbitMQ (a real purge), as beat schedules it, and as
Zappa's schedule event runs it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu import Connection

from benchmarks.aws_emulator import free_loopback_port
from benchmarks.lambda_events import scheduled_event
from pipelines import exact_json
from pipelines.models import PipelineRun
from pipelines.services.cleanup import runs_cleanup, runs_stall_watch
from tests.helpers.pipelines import point_celery_app_at, run_start_in_packets
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

STALL_WATCH = "pipelines.lambda_consumers.stall_watch"
ARRAY = list(range(1, 41))


def watch_summary(**handled) -> dict:
    return {"sent": [], "redriven": [], "waiting": [], "errors": {}, **handled}


def queue_depth(amqp_url: str, queue: str) -> int:
    with Connection(amqp_url) as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


def queue_purge(amqp_url: str, queue: str) -> int:
    with Connection(amqp_url) as connection:
        return connection.default_channel.queue_purge(queue)


@pytest.mark.postgres_only
@pytest.mark.needs_rabbitmq
def test_the_watch_leaves_a_backlog_alone_and_redrives_each_stall_with_backoff(
    amqp_queue, amqp_url, celery_worker_factory, user, settings
):
    point_celery_app_at(amqp_url, {})
    settings.PIPELINE_STALL_WATCH_AFTER_SECONDS = 100
    settings.PIPELINE_MAX_REDRIVES = 3

    def watch_at(seconds_from_now: float) -> dict:
        return runs_stall_watch(now=timezone.now() + timedelta(seconds=seconds_from_now))

    # Given a run whose 8 map messages wait in the queue (no worker yet)
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=5).run
    assert queue_depth(amqp_url, amqp_queue) == 8

    # Then it is waiting behind a backlog, not stalled: nothing is sent again
    assert watch_at(101) == watch_summary(waiting=[str(run.id)])
    assert queue_depth(amqp_url, amqp_queue) == 8

    # When the queue is purged, the watch re-drives the run after 100 s: every packet again
    assert queue_purge(amqp_url, amqp_queue) == 8
    assert watch_at(99) == watch_summary()
    assert watch_at(101) == watch_summary(redriven=[str(run.id)])
    assert queue_depth(amqp_url, amqp_queue) == 8

    # Purged again: the second re-drive comes as fast (100 s), the third waits twice as long
    for backoff, redrives in ((100, 2), (200, 3)):
        queue_purge(amqp_url, amqp_queue)
        assert watch_at(backoff - 1) == watch_summary()
        assert watch_at(backoff + 1) == watch_summary(redriven=[str(run.id)])
        assert PipelineRun.objects.get(id=run.id).redrive_count == redrives

    # Then no more: PIPELINE_MAX_REDRIVES spent, and the watch never fails a run
    queue_purge(amqp_url, amqp_queue)
    assert watch_at(10_000) == watch_summary()
    assert PipelineRun.objects.get(id=run.id).state == "pending"

    # A worker finishes it from the cleanup's re-drive (it was failed by nobody)
    settings.PIPELINE_MAX_REDRIVES = 4
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    assert runs_cleanup()["redriven"] == [str(run.id)]
    worker = celery_worker_factory(CELERY_BROKER_URL=amqp_url).start()
    wait_for(
        lambda: PipelineRun.objects.get(id=run.id).state == "done", timeout=120, message=worker.log
    )
    run.refresh_from_db()
    assert run.redrive_count == 4
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in ARRAY)


@pytest.mark.postgres_only
def test_a_redrive_the_broker_refuses_is_not_counted(user, settings):
    # Given a stalled run whose broker is down (a closed loopback port)
    settings.PIPELINE_TRANSPORT = "celery"
    point_celery_app_at(f"redis://127.0.0.1:{free_loopback_port()}/0", {"max_retries": 0})
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=5).run
    PipelineRun.objects.filter(id=run.id).update(last_sent_at=timezone.now())
    settings.PIPELINE_STALL_WATCH_AFTER_SECONDS = 1
    later = timezone.now() + timedelta(seconds=3600)

    # When the watch runs many times during the outage
    for _ in range(5):
        summary = runs_stall_watch(now=later)
        assert list(summary["errors"]) == [str(run.id)]

    # Then the run keeps every one of its re-drives for when the broker is back
    assert PipelineRun.objects.get(id=run.id).redrive_count == 0
    point_celery_app_at("memory://", {})


@pytest.mark.slow
@pytest.mark.postgres_only
@pytest.mark.needs_rabbitmq
def test_beat_runs_the_watch_which_finishes_a_run_purged_again_after_its_first_redrive(
    amqp_queue, amqp_url, celery_worker_factory, user, settings
):
    point_celery_app_at(amqp_url, {})
    settings.PIPELINE_STALL_WATCH_AFTER_SECONDS = 0
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=5).run
    # Purged, re-drived once, purged again (no worker yet, so nothing ran in between)
    assert queue_purge(amqp_url, amqp_queue) == 8
    assert runs_stall_watch() == watch_summary(redriven=[str(run.id)])
    assert queue_purge(amqp_url, amqp_queue) == 8

    # A worker with beat: the cleanup (run at beat start) waits an hour for a stall, the watch
    # 1 s (2 s for a second re-drive), every second
    worker = celery_worker_factory(
        CELERY_BROKER_URL=amqp_url,
        PIPELINE_STALL_AFTER_SECONDS=3600,
        PIPELINE_CLEANUP_EVERY_SECONDS=3600,
        PIPELINE_STALL_WATCH_AFTER_SECONDS=1,
        PIPELINE_STALL_WATCH_EVERY_SECONDS=1,
    ).start(beat=True)

    wait_for(
        lambda: PipelineRun.objects.get(id=run.id).state == "done", timeout=120, message=worker.log
    )
    run.refresh_from_db()
    assert run.redrive_count == 2
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in ARRAY)
    assert "Task pipelines.stall_watch[" in worker.log()


@pytest.mark.parametrize("stage", ["dev", "staging"])  # staging: Zappa hashes the rule name
def test_zappas_schedule_event_runs_the_watch_through_the_real_handler(
    sqs_lambda, user, settings, stage
):
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=list(range(1, 21)), packet_size=5
    ).run
    queue = sqs_lambda.queues["map"]
    lost = sqs_lambda.client.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=1)
    sqs_lambda.client.delete_message(
        QueueUrl=queue.url, ReceiptHandle=lost["Messages"][0]["ReceiptHandle"]
    )
    sqs_lambda.drain()
    event = scheduled_event(STALL_WATCH, stage=stage)
    assert event["resources"][0].endswith(f"-{STALL_WATCH}")

    # Not stalled for PIPELINE_STALL_WATCH_AFTER_SECONDS yet: left alone
    assert sqs_lambda.lambda_.invoke(event) == watch_summary()

    settings.PIPELINE_STALL_WATCH_AFTER_SECONDS = 0
    assert sqs_lambda.lambda_.invoke(event) == watch_summary(redriven=[str(run.id)])
    assert sqs_lambda.depth("map") == 1  # only the lost packet
    sqs_lambda.drain()
    run.refresh_from_db()
    assert (run.state, run.redrive_count) == ("done", 1)
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in range(1, 21))
