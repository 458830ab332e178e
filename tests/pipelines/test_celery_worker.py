"""The pipelines on real Celery workers (`celery -A config.celery worker` processes): Redis
for worker deployments, kombu's filesystem broker for the embedded local default."""

import json
from decimal import Decimal

import pytest

from pipelines import exact_json
from pipelines.messages import map_message
from pipelines.models import DeadLetter, PipelineRun, ScratchpadEntry
from pipelines.services.cleanup import runs_cleanup
from pipelines.services.dead_letters import dead_letter_replay
from pipelines.services.runs import run_start
from pipelines.transports import messages_send
from tests.helpers.pipelines import point_celery_app_at, sum_array_post
from tests.waiting import wait_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def state_of(run_id) -> str:
    return PipelineRun.objects.get(id=run_id).state


def result_of(run_id):
    run = PipelineRun.objects.select_related("result").get(id=run_id)
    assert run.state == "done", run.failure_reason
    return exact_json.loads(run.result.value_json)


def test_post_returns_at_once_and_a_worker_finishes_the_run(
        celery_worker_factory, client, auth_headers, settings):
    settings.PIPELINE_PACKET_SIZE = 10
    array = [Decimal("0.01") * i for i in range(95)] + list(range(-40, 40))

    response = sum_array_post(client, auth_headers, array)  # no worker is running yet
    array_id = response.json()["arrayId"]
    assert client.get(f"/sumArray/{array_id}", headers=auth_headers).json()["state"] == "pending"

    worker = celery_worker_factory().start()
    wait_for(lambda: state_of(array_id) == "done", message=worker.log)

    state = client.get(f"/sumArray/{array_id}", headers=auth_headers)
    assert b'"result":9.30' in state.content
    assert result_of(array_id) == sum(2 * x for x in array)


def test_poison_message_is_dead_lettered_after_10_attempts_while_other_runs_finish(
        celery_worker_factory, user):
    good = run_start(owner=user, pipeline="sumArray", elements=list(range(50)), packet_size=5)
    poison = map_message(pipeline="sumArray", run_id=good.id, packet=3, elements=[1, "x"])
    messages_send([poison])
    other = run_start(owner=user, pipeline="sumArray", elements=[Decimal("1.5")] * 7,
                      packet_size=2)
    worker = celery_worker_factory().start()

    letter = wait_for(lambda: DeadLetter.objects.filter(source="celery").first(),
                      message=worker.log)
    wait_for(lambda: state_of(good.id) == state_of(other.id) == "done", message=worker.log)

    assert result_of(good.id) == 2 * sum(range(50))
    assert result_of(other.id) == Decimal("21.0")
    assert (letter.step, letter.attempts, letter.run_id) == ("map", 10, good.id)
    assert json.loads(letter.body)["elements"] == [1, "x"]
    assert "InvalidElement" in letter.error
    assert worker.log().count("message failed (attempt") == 9

    # Replayed from the admin, it fails again ten times and comes back as a new letter.
    dead_letter_replay(dead_letter=letter)
    wait_for(lambda: DeadLetter.objects.filter(source="celery").exclude(id=letter.id).exists(),
             message=worker.log)


def kill_a_worker_mid_run(celery_worker_factory, user, **worker_environment):
    """Start a 400-packet run, SIGKILL its worker (and pool) mid-run, start a new worker."""
    array = [i * 7 - 1000 for i in range(400)]
    run = run_start(owner=user, pipeline="sumArray", elements=array, packet_size=1)
    first = celery_worker_factory(**worker_environment).start(concurrency=2)
    wait_for(lambda: ScratchpadEntry.objects.filter(run=run).count() >= 40, interval=0.01,
             message=first.log)

    first.kill()

    mapped_at_kill = ScratchpadEntry.objects.filter(run=run).count()
    assert 40 <= mapped_at_kill < 400
    assert state_of(run.id) == "pending"
    second = celery_worker_factory(**worker_environment).start(concurrency=2)
    return run, array, second


@pytest.mark.needs_rabbitmq
def test_a_worker_killed_mid_run_on_rabbitmq_loses_nothing_once_restarted(
        amqp_queue, celery_worker_factory, amqp_url, user):
    """AMQP acknowledgements live in the broker: the killed worker's unacknowledged
    messages return to the queue when its connection drops. The restart alone finishes."""
    point_celery_app_at(amqp_url, {})
    run, array, second = kill_a_worker_mid_run(
        celery_worker_factory, user, CELERY_BROKER_URL=amqp_url)

    wait_for(lambda: state_of(run.id) == "done", timeout=120, message=second.log)
    assert result_of(run.id) == sum(2 * x for x in array)
    assert ScratchpadEntry.objects.filter(run=run).count() == 400


def test_a_worker_killed_mid_run_on_redis_loses_nothing_with_the_cleanup_job(
        celery_worker_factory, user, settings):
    """Redis (kombu) restores a dead worker's unacknowledged messages after the visibility
    timeout, but a message popped from the list in the instant before kombu recorded it as
    unacknowledged is gone: an at-most-once window of the transport. The cleanup job (design
    §3.5) is what makes the run finish then; this test runs it whenever the run stalls."""
    settings.PIPELINE_STALL_AFTER_SECONDS = 5
    run, array, second = kill_a_worker_mid_run(celery_worker_factory, user)

    def done_or_redriven():
        if state_of(run.id) == "done":
            return True
        runs_cleanup()  # re-drives only a run with no progress for 5 s
        return False

    wait_for(done_or_redriven, timeout=120, interval=1, message=second.log)
    assert result_of(run.id) == sum(2 * x for x in array)
    assert ScratchpadEntry.objects.filter(run=run).count() == 400


def test_local_default_filesystem_broker_with_beat_finishes_a_run_that_lost_a_message(
        celery_worker_factory, user, settings, tmp_path):
    """The lead's local command, `celery -A config.celery worker --beat`, on kombu's
    filesystem broker: a lost message is re-driven by the beat's cleanup entry."""
    broker_dir = tmp_path / "broker"
    options = {"data_folder_in": str(broker_dir / "out"),
               "data_folder_out": str(broker_dir / "out"),
               "processed_folder": str(broker_dir / "processed"),
               "control_folder": str(broker_dir / "control")}
    for folder in options.values():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    point_celery_app_at("filesystem://", options)
    array = [Decimal("2.5"), 1, 2, 3, 4, 5, 6, 7, 8, 9]
    run = run_start(owner=user, pipeline="sumArray", elements=array, packet_size=2)
    queued = sorted((broker_dir / "out").glob("*.msg"))
    assert len(queued) == 5
    queued[0].unlink()  # lost

    worker = celery_worker_factory(
        CELERY_BROKER_URL="filesystem://", CELERY_FILESYSTEM_BROKER_DIR=broker_dir,
        PIPELINE_CLEANUP_EVERY_SECONDS=1, PIPELINE_STALL_AFTER_SECONDS=2,
    ).start(beat=True)

    wait_for(lambda: state_of(run.id) == "done", timeout=60, message=worker.log)
    assert result_of(run.id) == Decimal("95.0")
    assert PipelineRun.objects.get(id=run.id).redrive_count >= 1
