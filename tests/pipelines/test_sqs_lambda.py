"""The pipelines on Lambda: SQS queues in moto's server (with their redrive policies) mapped
to the consumers through Zappa's real handler, and the faults each ending with the exact sum."""

import json
import random
from decimal import Decimal

import pytest

from benchmarks.lambda_events import sqs_event, sqs_record
from pipelines import exact_json
from pipelines.models import PipelineRun, ScratchpadEntry
from pipelines.services.dead_letters import sqs_dead_letters_fetch
from tests.helpers.pipelines import run_start_in_packets

pytestmark = pytest.mark.django_db(transaction=True)


def expected_sum(array):
    return sum(2 * x for x in array)


def result_of(run) -> object:
    run.refresh_from_db()
    assert run.state == "done", run.failure_reason
    return exact_json.loads(run.result.value_json)


def random_array(size: int, seed: int) -> list:
    rng = random.Random(seed)
    return [
        rng.randint(-(10**12), 10**12)
        if i % 3
        else Decimal(rng.randint(-(10**6), 10**6)) / Decimal(1000)
        for i in range(size)
    ]


def test_end_to_end_through_the_api_and_the_consumers(
    dev_lambda, sqs_lambda, user, auth_headers, settings
):
    from benchmarks.lambda_events import api_gateway_event

    settings.PIPELINE_PACKET_SIZE = 4
    array_text = "[1, 2.25, -3, 0.1, 0.2, 5, 6, 7, 8, 9, 10, 11.125, 12, 13]"

    started = sqs_lambda.lambda_.http(
        api_gateway_event(
            "POST",
            "/sumArray",
            headers={**auth_headers, "Content-Type": "application/json"},
            body=array_text,
        )
    )
    assert started.status_code == 200
    array_id = started.json()["arrayId"]
    assert sqs_lambda.depth("map") == 4  # returned before any work was done

    sqs_lambda.drain()

    state = sqs_lambda.lambda_.http(
        api_gateway_event("GET", f"/sumArray/{array_id}", headers=auth_headers)
    )
    body = state.json()
    assert (body["state"], body["arrayLength"], body["elementsReduced"]) == ("done", 14, 14)
    assert b'"result":163.350' in state.body  # 2 * 81.675, exact to the input's precision
    assert Decimal(str(body["result"])) == expected_sum(exact_json.loads(array_text))


def test_producer_sends_batches_of_ten(sqs_lambda, user, monkeypatch):
    from pipelines.transports import sqs

    calls = []
    client = sqs.sqs_client()
    real_send = client.send_message_batch
    monkeypatch.setattr(
        client,
        "send_message_batch",
        lambda **kwargs: calls.append(len(kwargs["Entries"])) or real_send(**kwargs),
    )

    run_start_in_packets(owner=user, pipeline="sumArray", elements=list(range(25)), packet_size=1)

    assert calls == [10, 10, 5]
    assert sqs_lambda.depth("map") == 25


def test_many_runs_of_many_packets_end_exact(sqs_lambda, user):
    arrays = [random_array(57, seed) for seed in range(3)]
    runs = [
        run_start_in_packets(owner=user, pipeline="sumArray", elements=array, packet_size=5).run
        for array in arrays
    ]

    sqs_lambda.drain()

    for run, array in zip(runs, arrays, strict=True):
        assert result_of(run) == expected_sum(array)
        assert run.result.elements_reduced == 57


def test_duplicate_delivery_of_every_message_changes_nothing(sqs_lambda, user):
    sqs_lambda.duplicate_every_batch = True
    array = random_array(40, seed=7)
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=array, packet_size=3).run

    sqs_lambda.drain()

    assert result_of(run) == expected_sum(array)
    assert run.result.packets_reduced == run.packet_count == 14
    assert ScratchpadEntry.objects.filter(run=run).count() == 14


def test_a_step_that_raises_after_its_transaction_committed_is_completed_by_redelivery(
    sqs_lambda, user, monkeypatch
):
    """Every map commits its partial, then queueing its reduce fails (SQS throttles) once per
    packet: the redelivered map finds its done mark, changes nothing and queues the reduce."""
    from pipelines.transports import sqs

    client = sqs.sqs_client()
    real_send = client.send_message_batch
    reduce_url = sqs_lambda.queues["reduce"].url
    refused: list[str] = []

    def send_failing_first_reduce_of_each_map(**kwargs):
        if kwargs["QueueUrl"] == reduce_url and len(refused) < 6:
            refused.append(kwargs["Entries"][0]["MessageBody"])
            raise RuntimeError("ServiceUnavailable (simulated SQS outage)")
        return real_send(**kwargs)

    monkeypatch.setattr(client, "send_message_batch", send_failing_first_reduce_of_each_map)
    array = random_array(30, seed=3)
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=array, packet_size=5).run

    sqs_lambda.drain()

    assert len(refused) == 6
    assert result_of(run) == expected_sum(array)
    assert ScratchpadEntry.objects.filter(run=run).count() == 6
    assert max(sqs_lambda.receives.values()) >= 2  # the maps really were delivered again


def test_poison_message_goes_to_the_dead_letter_queue_after_10_receives_alone(sqs_lambda, user):
    good = random_array(20, seed=1)
    other = [Decimal("0.5"), 3, 4, Decimal("-1.25")] * 5
    first = run_start_in_packets(owner=user, pipeline="sumArray", elements=good, packet_size=2).run
    poison = {
        "step": "map",
        "pipeline": "sumArray",
        "runId": str(first.id),
        "packet": 0,
        "elements": [good[0], "not a number"],
    }
    # The poison shares its batches with good messages: same queue, sent alongside them.
    sqs_lambda.client.send_message(
        QueueUrl=sqs_lambda.queues["map"].url, MessageBody=exact_json.dumps(poison)
    )
    second = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=other, packet_size=3
    ).run

    sqs_lambda.drain()

    assert result_of(first) == expected_sum(good)
    assert result_of(second) == expected_sum(other)
    assert sqs_lambda.depth("map", dead=True) == 1
    assert sqs_lambda.depth("reduce", dead=True) == 0
    poison_receives = [count for count in sqs_lambda.receives.values() if count > 1]
    assert poison_receives == [10]
    assert json.loads(sqs_lambda.dead_bodies("map")[0])["elements"][1] == "not a number"

    # The admin's dead letters fetch it (once, however often fetched) for replay or drop.
    assert sqs_dead_letters_fetch() == 1
    assert sqs_dead_letters_fetch() == 0
    letter = first.dead_letters.get()
    assert (letter.source, letter.step, exact_json.loads(letter.body)) == ("sqs", "map", poison)
    assert sqs_lambda.depth("map", dead=True) == 0


def test_the_consumer_reports_each_bad_record_alone_and_never_raises(sqs_lambda, user):
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1, 2], packet_size=1).run
    map_arn = sqs_lambda.queues["map"].arn
    good = [
        sqs_record(
            {
                "step": "map",
                "pipeline": "sumArray",
                "runId": str(run.id),
                "packet": index,
                "elements": [index + 1],
            },
            arn=map_arn,
            message_id=f"good-{index}",
        )
        for index in range(2)
    ]
    bad = [
        sqs_record("not json", arn=map_arn, message_id="bad-json"),
        sqs_record({"step": "map"}, arn=map_arn, message_id="bad-shape"),
        sqs_record(
            {"step": "reduce", "pipeline": "sumArray", "runId": str(run.id)},
            arn=map_arn,
            message_id="wrong-queue",
        ),
    ]

    result = sqs_lambda.lambda_.invoke(sqs_event([bad[0], good[0], bad[1], good[1], bad[2]]))

    assert result == {
        "batchItemFailures": [
            {"itemIdentifier": "bad-json"},
            {"itemIdentifier": "bad-shape"},
            {"itemIdentifier": "wrong-queue"},
        ]
    }
    assert ScratchpadEntry.objects.filter(run=run).count() == 2


def test_word_count_runs_on_the_same_framework(sqs_lambda, user):
    texts = ["the quick brown fox", "The lazy dog", "", "fox and dog and THE end"] * 3
    run = run_start_in_packets(owner=user, pipeline="wordCount", elements=texts, packet_size=5).run

    sqs_lambda.drain()

    assert result_of(run) == {
        "the": 9,
        "quick": 3,
        "brown": 3,
        "fox": 6,
        "lazy": 3,
        "dog": 6,
        "and": 6,
        "end": 3,
    }
    assert PipelineRun.objects.get(id=run.id).packet_count == 3


def test_without_report_batch_item_failures_a_failed_message_fails_the_whole_batch(
    sqs_lambda, user, settings
):
    settings.PIPELINE_SQS_PARTIAL_BATCH_RESPONSE = False
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1, 2], packet_size=1).run
    map_arn = sqs_lambda.queues["map"].arn
    good = sqs_record(
        {"step": "map", "pipeline": "sumArray", "runId": str(run.id), "packet": 0, "elements": [1]},
        arn=map_arn,
    )

    with pytest.raises(RuntimeError, match="1 pipeline map messages failed"):
        sqs_lambda.lambda_.invoke(sqs_event([good, sqs_record("poison", arn=map_arn)]))

    # The good message's effect is committed; its redelivery with the batch changes nothing.
    assert ScratchpadEntry.objects.filter(run=run).count() == 1
