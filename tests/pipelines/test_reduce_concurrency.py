"""Parallel reducers on PostgreSQL: SKIP LOCKED claims, nothing folded twice or lost."""

import threading

import pytest
from django.db import connection

from pipelines import exact_json
from pipelines.messages import map_message, reduce_message
from pipelines.models import ScratchpadEntry
from pipelines.services.steps import packet_map, run_reduce
from tests.helpers.pipelines import run_start_in_packets


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_four_concurrent_reducers_fold_every_partial_exactly_once(sqs_queues, user, settings):
    settings.PIPELINE_REDUCE_BATCH = 7
    array = [index * 3 - 500 for index in range(600)]
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=array, packet_size=2).run
    for index in range(run.packet_count):
        packet_map(
            message=map_message(
                pipeline="sumArray",
                run_id=run.id,
                packet=index,
                elements=array[2 * index : 2 * index + 2],
            )
        )
    assert ScratchpadEntry.objects.filter(run=run, reduced_at__isnull=True).count() == 300

    start = threading.Barrier(4)
    folded: list[int] = []
    errors: list[BaseException] = []

    def reducer():
        try:
            start.wait()
            mine = 0
            while True:
                count = run_reduce(message=reduce_message(pipeline="sumArray", run_id=run.id))
                mine += count
                if (
                    not count
                    and not ScratchpadEntry.objects.filter(
                        run=run, reduced_at__isnull=True
                    ).exists()
                ):
                    break
            folded.append(mine)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reducer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(folded) == 300  # every partial folded exactly once across the four
    assert sum(1 for count in folded if count) >= 2  # they really ran side by side
    run.refresh_from_db()
    assert run.state == "done"
    assert run.result.packets_reduced == 300
    assert exact_json.loads(run.result.value_json) == sum(2 * x for x in array)
