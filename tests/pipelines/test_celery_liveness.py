"""Liveness on real Celery workers (Redis): a run accepted while the broker is down is kept
and sent by the cleanup job that beat runs at start; a message whose dead letter cannot be
stored goes back to the broker instead of being lost."""

import pytest
from django.db import connection

from benchmarks.aws_emulator import free_loopback_port
from pipelines.messages import map_message
from pipelines.models import DeadLetter, PipelineRun
from pipelines.transports import messages_send
from tests.helpers.pipelines import point_celery_app_at, run_start_in_packets, sum_array_post
from tests.helpers.waiting import wait_for

# Broker outages with real workers: the slow second step (README, "Tests").
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


def test_a_run_posted_while_the_broker_is_down_is_kept_and_sent_by_cleanup_at_beat_start(
    celery_broker, celery_worker_factory, redis_url, client, auth_headers, settings
):
    # Given the broker does not answer (a closed loopback port)
    down = f"redis://127.0.0.1:{free_loopback_port()}/0"
    point_celery_app_at(down, {"max_retries": 1})

    # When a client starts a run
    response = sum_array_post(client, auth_headers, [1, 2, 3, 4, 5])

    # Then it is told the run is kept but not queued yet, and nothing is lost
    body = response.json()
    assert response.status_code == 200
    assert body["queued"] is False
    assert "queued automatically" in body["message"]
    run = PipelineRun.objects.get(id=body["arrayId"])
    assert (run.state, run.last_sent_at) == ("pending", None)

    # When the broker is back and a worker with beat starts, its first cleanup sends the run
    point_celery_app_at(redis_url, {"visibility_timeout": 3})
    worker = celery_worker_factory(
        PIPELINE_UNSENT_AFTER_SECONDS=0, PIPELINE_CLEANUP_EVERY_SECONDS=3600
    ).start(beat=True)

    wait_for(
        lambda: PipelineRun.objects.get(id=run.id).state == "done", timeout=90, message=worker.log
    )
    state = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert state["result"] == 30


@pytest.fixture
def dead_letter_outage():
    """The database refuses new dead letters (as during an outage) until `restore()`."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE OR REPLACE FUNCTION refuse_dead_letters() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'dead letters cannot be stored right now'; END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_dead_letters BEFORE INSERT ON pipelines_deadletter
            FOR EACH ROW EXECUTE FUNCTION refuse_dead_letters();
        """)

    def restore():
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS refuse_dead_letters ON pipelines_deadletter;"
                "DROP FUNCTION IF EXISTS refuse_dead_letters();"
            )

    yield restore
    restore()


def test_a_message_whose_dead_letter_cannot_be_stored_goes_back_to_the_broker(
    celery_worker_factory, user, dead_letter_outage
):
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[], packet_size=1).run
    poison = map_message(pipeline="sumArray", run_id=run.id, packet=0, elements=["x"])
    messages_send([poison])
    worker = celery_worker_factory(
        PIPELINE_MAX_ATTEMPTS=2, PIPELINE_RETRY_BACKOFF_MAX_SECONDS=0.5
    ).start()

    # The last attempt fails, and so does storing its dead letter, more than once
    wait_for(
        lambda: worker.log().count("dead letter could not be stored") >= 2,
        timeout=60,
        message=worker.log,
    )
    assert not DeadLetter.objects.exists()

    dead_letter_outage()  # the outage ends

    letter = wait_for(lambda: DeadLetter.objects.first(), timeout=60, message=worker.log)
    assert letter.step == "map" and '"x"' in letter.body
