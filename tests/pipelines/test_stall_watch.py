"""The stall watch (docs/pipelines.md "Stall watch"): a run whose queue was purged gets its
first re-drive within minutes, a run waiting behind a backlog is left alone, and later
re-drives stay with the cleanup. On RabbitMQ (a real purge), as beat schedules it, and as
Zappa's schedule event runs it."""

import pytest
from kombu import Connection

from pipelines import exact_json
from pipelines.models import PipelineRun
from pipelines.services.cleanup import runs_cleanup, runs_stall_watch
from pipelines.services.runs import run_start
from tests.helpers.pipelines import point_celery_app_at
from tests.lambda_events import scheduled_event
from tests.waiting import wait_for

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
def test_the_watch_leaves_a_backlog_alone_and_redrives_a_purged_run_once(
    amqp_queue, amqp_url, celery_worker_factory, user, settings
):
    point_celery_app_at(amqp_url, {})
    settings.PIPELINE_STALL_WATCH_AFTER_SECONDS = 0
    # Given a run whose 8 map messages wait in the queue (no worker yet)
    run = run_start(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=5)
    assert queue_depth(amqp_url, amqp_queue) == 8

    # Then it is waiting behind a backlog, not stalled: nothing is sent again
    assert runs_stall_watch() == watch_summary(waiting=[str(run.id)])
    assert queue_depth(amqp_url, amqp_queue) == 8

    # When the queue is purged, the watch re-drives the run: every packet again
    assert queue_purge(amqp_url, amqp_queue) == 8
    assert runs_stall_watch() == watch_summary(redriven=[str(run.id)])
    assert queue_depth(amqp_url, amqp_queue) == 8

    # And only once: purged again, a second re-drive is the cleanup's, not the watch's
    queue_purge(amqp_url, amqp_queue)
    assert runs_stall_watch() == watch_summary()
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    assert runs_cleanup()["redriven"] == [str(run.id)]

    # Then a worker finishes it
    worker = celery_worker_factory(CELERY_BROKER_URL=amqp_url).start()
    wait_for(
        lambda: PipelineRun.objects.get(id=run.id).state == "done", timeout=120, message=worker.log
    )
    run.refresh_from_db()
    assert run.redrive_count == 2
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in ARRAY)


@pytest.mark.postgres_only
@pytest.mark.needs_rabbitmq
def test_beat_runs_the_watch_which_finishes_a_purged_run_the_cleanup_would_not_touch_yet(
    amqp_queue, amqp_url, celery_worker_factory, user
):
    point_celery_app_at(amqp_url, {})
    run = run_start(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=5)
    assert queue_purge(amqp_url, amqp_queue) == 8

    # A worker with beat: the cleanup (run at beat start) waits an hour for a stall, the watch
    # 1 s, every second
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
    assert run.redrive_count == 1
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in ARRAY)
    assert "Task pipelines.stall_watch[" in worker.log()


@pytest.mark.parametrize("stage", ["dev", "staging"])  # staging: Zappa hashes the rule name
def test_zappas_schedule_event_runs_the_watch_through_the_real_handler(
    sqs_lambda, user, settings, stage
):
    run = run_start(owner=user, pipeline="sumArray", elements=list(range(1, 21)), packet_size=5)
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
