"""The backoffice: runs with progress and packets, dead letters with replay and drop."""

import pytest

from pipelines import exact_json
from pipelines.models import DeadLetter
from pipelines.services.dead_letters import dead_letter_store
from pipelines.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_runs_show_progress_packets_and_result(admin_client, sqs_lambda, user):
    run = run_start(owner=user, pipeline="sumArray", elements=list(range(10)), packet_size=4)
    pending = admin_client.get("/admin/pipelines/pipelinerun/").content.decode()
    assert "0 / 10 (0%)" in pending

    sqs_lambda.drain()

    listing = admin_client.get("/admin/pipelines/pipelinerun/").content.decode()
    assert "10 / 10 (100%)" in listing
    detail = admin_client.get(f"/admin/pipelines/pipelinerun/{run.id}/change/").content.decode()
    assert "90" in detail  # the result, 2 * 45
    assert detail.count('class="field-index"') == 3  # three packets, each mapped and reduced
    for page in ("packet", "scratchpadentry", "runresult", "deadletter"):
        assert admin_client.get(f"/admin/pipelines/{page}/").status_code == 200


def test_dead_letters_can_be_replayed_and_dropped(admin_client, sqs_lambda, user):
    run = run_start(owner=user, pipeline="sumArray", elements=[4, 5], packet_size=1)
    lost = sqs_lambda.client.receive_message(
        QueueUrl=sqs_lambda.queues["map"].url, MaxNumberOfMessages=10)["Messages"]
    for message in lost:
        sqs_lambda.client.delete_message(QueueUrl=sqs_lambda.queues["map"].url,
                                         ReceiptHandle=message["ReceiptHandle"])
    letters = [dead_letter_store(source="celery", step="map", body=message["Body"],
                                 error="ValueError: boom", attempts=10) for message in lost]
    listing = admin_client.get("/admin/pipelines/deadletter/").content.decode()
    assert "ValueError: boom" in listing
    assert "Fetch from SQS dead-letter queues" in listing

    admin_client.post("/admin/pipelines/deadletter/", {
        "action": "replay", "_selected_action": [letters[0].pk, letters[1].pk]})
    assert not DeadLetter.objects.exists()
    sqs_lambda.drain()
    run.refresh_from_db()
    assert exact_json.loads(run.result.value_json) == 18

    dropped = dead_letter_store(source="celery", step="map", body="{}", attempts=10)
    admin_client.post("/admin/pipelines/deadletter/", {
        "action": "drop", "_selected_action": [dropped.pk]})
    assert not DeadLetter.objects.exists()


def test_fetch_moves_sqs_dead_letter_queue_messages_into_the_list(admin_client, sqs_lambda):
    body = '{"step":"reduce","pipeline":"sumArray","runId":"not-a-uuid"}'
    sqs_lambda.client.send_message(QueueUrl=sqs_lambda.queues["reduce"].dlq_url,
                                   MessageBody=body)

    response = admin_client.post("/admin/pipelines/deadletter/fetch-sqs/")

    assert response.status_code == 302
    letter = DeadLetter.objects.get()
    assert (letter.source, letter.step, letter.body, letter.run_id) == (
        "sqs", "reduce", body, None)
    assert sqs_lambda.depth("reduce", dead=True) == 0
