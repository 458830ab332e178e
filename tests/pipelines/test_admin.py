"""The backoffice: runs with progress, packets, sends and uploads; uploads with size, state and
their run; dead letters with replay and drop."""

import re

import pytest

from monitoring.request_context import trace_bound
from pipelines import exact_json
from pipelines.models import DeadLetter
from pipelines.services.dead_letters import dead_letter_store
from pipelines.services.uploads import run_start_from_upload, upload_create
from tests.helpers.pipelines import run_start_in_packets, upload_stored

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_runs_show_progress_packets_and_result(admin_client, sqs_lambda, user):
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=list(range(10)), packet_size=4
    ).run
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
    run = run_start_in_packets(owner=user, pipeline="sumArray", elements=[4, 5], packet_size=1).run
    lost = sqs_lambda.client.receive_message(
        QueueUrl=sqs_lambda.queues["map"].url, MaxNumberOfMessages=10
    )["Messages"]
    for message in lost:
        sqs_lambda.client.delete_message(
            QueueUrl=sqs_lambda.queues["map"].url, ReceiptHandle=message["ReceiptHandle"]
        )
    letters = [
        dead_letter_store(
            source="celery", step="map", body=message["Body"], error="ValueError: boom", attempts=10
        )
        for message in lost
    ]
    listing = admin_client.get("/admin/pipelines/deadletter/").content.decode()
    assert "ValueError: boom" in listing
    assert "Fetch from SQS dead-letter queues" in listing

    admin_client.post(
        "/admin/pipelines/deadletter/",
        {"action": "replay", "_selected_action": [letters[0].pk, letters[1].pk]},
    )
    assert not DeadLetter.objects.exists()
    sqs_lambda.drain()
    run.refresh_from_db()
    assert exact_json.loads(run.result.value_json) == 18

    dropped = dead_letter_store(source="celery", step="map", body="{}", attempts=10)
    admin_client.post(
        "/admin/pipelines/deadletter/", {"action": "drop", "_selected_action": [dropped.pk]}
    )
    assert not DeadLetter.objects.exists()


def test_fetch_moves_sqs_dead_letter_queue_messages_into_the_list(admin_client, sqs_lambda):
    body = '{"step":"reduce","pipeline":"sumArray","runId":"not-a-uuid"}'
    sqs_lambda.client.send_message(QueueUrl=sqs_lambda.queues["reduce"].dlq_url, MessageBody=body)

    response = admin_client.post("/admin/pipelines/deadletter/fetch-sqs/")

    assert response.status_code == 302
    letter = DeadLetter.objects.get()
    assert (letter.source, letter.step, letter.body, letter.run_id) == ("sqs", "reduce", body, None)
    assert sqs_lambda.depth("reduce", dead=True) == 0


def field_value(page: str, field: str) -> str:
    """The text of a read-only field's box on a change page."""
    match = re.search(
        rf'<div class="[^"]*field-{field}[^"]*">.*?<div class="readonly">(.*?)'
        r"</div>",
        page,
        re.S,
    )
    assert match, f"no read-only field {field} on the page"
    return match.group(1).strip()


def test_runs_show_when_they_were_sent_their_request_and_their_upload(
    admin_client, sqs_lambda, user, settings
):
    # Given a run sent to the queue, started by a request with its id
    with trace_bound(request_id="req-admin-42"):
        sent = run_start_in_packets(owner=user, pipeline="sumArray", elements=[1, 2], packet_size=1)
    sent.run.refresh_from_db()
    # And a run the queue never got (no queue configured: the broker is "down")
    settings.PIPELINE_QUEUE_URLS = {}
    unsent = run_start_in_packets(owner=user, pipeline="sumArray", elements=[3], packet_size=1)
    assert (sent.queued, unsent.queued) == (True, False)
    sent, unsent = sent.run, unsent.run

    listing = admin_client.get("/admin/pipelines/pipelinerun/").content.decode()
    assert "column-queued" in listing and "column-last_sent_at" in listing
    rows = {
        run_id: row
        for row in listing.split("<tr")[1:]
        for run_id in (str(sent.id), str(unsent.id))
        if run_id in row
    }
    assert 'alt="True"' in rows[str(sent.id)] and 'alt="False"' in rows[str(unsent.id)]

    page = admin_client.get(f"/admin/pipelines/pipelinerun/{sent.id}/change/").content.decode()
    assert field_value(page, "request_id") == "req-admin-42"
    assert 'alt="True"' in field_value(page, "queued")
    assert field_value(page, "last_sent_at") != "-"
    assert field_value(page, "upload_link") == "— (the POST&#x27;s array)"
    assert field_value(page, "ranges_read") == "—"
    field_value(page, "purged_at")

    page = admin_client.get(f"/admin/pipelines/pipelinerun/{unsent.id}/change/").content.decode()
    assert 'alt="False"' in field_value(page, "queued")
    assert field_value(page, "last_sent_at") == "-"


def test_uploads_show_owner_size_state_and_the_run_they_fed(
    admin_client, sqs_lambda, user, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 6
    # Given an upload whose file fed a finished run (in 2 ranges), and one whose file never came
    content = b"1,2,3\n4\n"
    used = upload_stored(user, content)
    run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=used.id).run
    sqs_lambda.drain()
    run.refresh_from_db()
    assert run.state == "done"
    waiting = upload_create(owner=user, pipeline="sumArray").upload

    listing = admin_client.get("/admin/pipelines/upload/").content.decode()
    rows = {
        upload_id: row
        for row in listing.split("<tr")[1:]
        for upload_id in (str(used.id), str(waiting.id))
        if upload_id in row
    }
    used_row, waiting_row = rows[str(used.id)], rows[str(waiting.id)]
    assert user.username in used_row and user.username in waiting_row
    assert f'<td class="field-size">{len(content)}</td>' in used_row
    assert '<td class="field-state">run done</td>' in used_row
    assert f"/admin/pipelines/pipelinerun/{run.id}/change/" in used_row
    assert '<td class="field-size">—</td>' in waiting_row
    assert '<td class="field-state">waiting for the file</td>' in waiting_row

    page = admin_client.get(f"/admin/pipelines/upload/{used.id}/change/").content.decode()
    assert field_value(page, "storage_name") == used.storage_name
    assert field_value(page, "size") == str(len(content))
    assert field_value(page, "state") == "run done"
    assert str(run.id) in field_value(page, "run_link")
    assert f">{user.username}</a>" in field_value(page, "owner")

    # And the run links back to its upload
    page = admin_client.get(f"/admin/pipelines/pipelinerun/{run.id}/change/").content.decode()
    assert f"/admin/pipelines/upload/{used.id}/change/" in field_value(page, "upload_link")
    assert field_value(page, "ranges_read") == "2 / 2 (all)"
    assert "0 to 6" in page and "6 to 8" in page  # the packets are the file's byte ranges


def test_the_uploads_page_asks_the_storage_once_per_upload(
    admin_client, user, settings, tmp_path, monkeypatch
):
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Given unstarted uploads, some with their file (size and state both show it)
    uploads = [upload_stored(user, b"1,2\n") for _ in range(3)]
    uploads += [upload_create(owner=user, pipeline="sumArray").upload for _ in range(2)]
    asked = []
    size = default_storage.size
    monkeypatch.setattr(default_storage, "size", lambda name: asked.append(name) or size(name))

    listing = admin_client.get("/admin/pipelines/upload/").content.decode()

    # Then each file was asked for once (on S3, one HEAD request a row)
    assert sorted(asked) == sorted(upload.storage_name for upload in uploads)
    assert listing.count("uploaded, no run started") == 3
    assert listing.count("waiting for the file") == 2


def test_a_dead_range_map_shows_the_text_of_its_range(
    admin_client, sqs_lambda, user, settings, tmp_path
):
    # Given a run over a file, and the dead letter of its second range's map
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 8
    content = b"1,2,3\n4\n5,<6>\n"
    upload = upload_stored(user, content)
    run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=upload.id).run
    body = exact_json.dumps(
        {"step": "map", "pipeline": "sumArray", "runId": str(run.id), "packet": 1, "range": [8, 16]}
    )
    letter = dead_letter_store(source="celery", step="map", body=body, error="OSError: down")

    page = admin_client.get(f"/admin/pipelines/deadletter/{letter.pk}/change/").content.decode()

    # Then the range's bytes are read from the file when the letter is opened, escaped
    assert "<pre>5,&lt;6&gt;\n</pre>" in field_value(page, "range_input")
