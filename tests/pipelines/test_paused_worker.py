"""A paused worker (SIGSTOP, a frozen VM) does not hold its run (issue #20 item 5): the
server ends its transaction left idle (idle_in_transaction_session_timeout), the other
worker's statements wait at most lock_timeout for its locks, and the run finishes on the
other worker while the paused one stays stopped; woken, it changes nothing twice."""

import os
import signal
import time

import pytest
from django.db import connection

from pipelines import exact_json
from pipelines.models import PipelineRun, ScratchpadEntry
from tests.helpers.pipelines import run_start_in_packets
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# The workers' limits here (the workers mode's defaults are 30 s and 10 s).
TIMEOUTS = {"DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS": 3000, "DATABASE_LOCK_TIMEOUT_MS": 2000}
ARRAY = list(range(1, 401))


@pytest.fixture
def first_reduce_dawdles():
    """The first reduce to update a result sleeps 3 s inside its transaction (holding the
    result row and the partials it claimed), so the test can pause its worker right there."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE TABLE dawdle_marker (id int);
            INSERT INTO dawdle_marker VALUES (1);
            CREATE OR REPLACE FUNCTION dawdle_once() RETURNS trigger AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM dawdle_marker) THEN
                DELETE FROM dawdle_marker;
                PERFORM pg_sleep(3);
              END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;
            CREATE TRIGGER dawdle_once BEFORE UPDATE ON pipelines_runresult
            FOR EACH ROW EXECUTE FUNCTION dawdle_once();
        """)
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS dawdle_once ON pipelines_runresult;"
            "DROP FUNCTION IF EXISTS dawdle_once(); DROP TABLE IF EXISTS dawdle_marker;"
        )


def dawdling_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%pipelines_runresult%%' "
            "AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_run_finishes_on_the_other_worker_while_one_is_paused(
    celery_worker_factory, user, first_reduce_dawdles
):
    # Given worker A inside a reduce transaction (result row locked, partials claimed)
    paused = celery_worker_factory(**TIMEOUTS).start(concurrency=2)
    wait_for(lambda: " ready." in paused.log(), timeout=90, message=paused.log)
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=ARRAY, packet_size=10).run
    wait_for(dawdling_backends, timeout=180, message=paused.log)

    # When A is paused there (its whole process group, as a frozen VM), and B starts
    os.killpg(paused.process.pid, signal.SIGSTOP)
    paused_at = time.monotonic()
    try:
        # B runs beat too: a reduce redelivered while A still held the partials finds none
        # to claim (SKIP LOCKED), so the last ones, released when A's session ends, are the
        # stall watch's to re-drive (5 s here, 180 s by default).
        other = celery_worker_factory(
            **TIMEOUTS,
            PIPELINE_STALL_WATCH_AFTER_SECONDS=5,
            PIPELINE_STALL_WATCH_EVERY_SECONDS=2,
        ).start(concurrency=2, beat=True)

        # Then the run finishes on B while A stays stopped: exact, every packet once
        wait_for(
            lambda: PipelineRun.objects.get(id=run.id).state == "done",
            timeout=240,
            message=lambda: other.log()[-4000:],
        )
        assert time.monotonic() - paused_at < 300
        woken_from = len(paused.log())
    finally:
        os.killpg(paused.process.pid, signal.SIGCONT)
    run.refresh_from_db()
    expected = sum(2 * x for x in ARRAY)
    assert exact_json.loads(run.result.value_json) == expected

    # When A wakes, its ended transaction fails and its messages are retried: nothing twice
    wait_for(
        lambda: "pipelines.run_step" in paused.log()[woken_from:],
        timeout=120,
        message=paused.log,
    )
    time.sleep(3)
    run.refresh_from_db()
    assert exact_json.loads(run.result.value_json) == expected
    assert run.result.packets_reduced == run.packet_count == 40
    assert run.result.elements_reduced == len(ARRAY)
    assert ScratchpadEntry.objects.filter(run_id=run.id).count() == 40
