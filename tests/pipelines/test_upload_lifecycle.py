"""Uploads have a lifecycle (docs/contract.md §2.5, §3.8): unstarted uploads expire through the
cleanup command (file and row, locally and on S3), a run's file stays while the run may
still need it, a per-user quota caps the bytes of unstarted uploads, the local PUT has a
rate limit counted in the database, and an upload of 0 bytes is refused at every step."""

import base64
import io
import json
from datetime import timedelta

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from accounts.models import RateLimitWindow
from pipelines import exact_json
from pipelines.models import DeadLetter, PipelineRun, Upload
from tests.pipelines.test_uploads import upload_and_start

pytestmark = pytest.mark.django_db(transaction=True)


def cleanup_now() -> str:
    out = io.StringIO()
    call_command("pipelines_cleanup", stdout=out)
    return out.getvalue()


def age(upload_id, *, hours: float) -> None:
    Upload.objects.filter(id=upload_id).update(created_at=timezone.now() - timedelta(hours=hours))


def create(client, headers, path="/sumArray"):
    response = client.post(f"{path}/uploads", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def put(client, headers, upload_id, content: bytes, path="/sumArray"):
    return client.put(
        f"{path}/uploads/{upload_id}", data=content, content_type="text/csv", headers=headers
    )


def start(client, headers, upload_id, path="/sumArray"):
    return client.post(
        path,
        data=exact_json.dumps({"upload": upload_id}),
        content_type="application/json",
        headers=headers,
    )


# --- expiry ----------------------------------------------------------------------------------


def test_an_unstarted_upload_expires_through_the_cleanup_command(
    client, auth_headers, media_root, settings
):
    # Given two uploads with files, one older than PIPELINE_UPLOAD_EXPIRE_HOURS
    old, fresh = create(client, auth_headers), create(client, auth_headers)
    for target in (old, fresh):
        assert put(client, auth_headers, target["uploadId"], b"1\n2\n").status_code == 200
    age(old["uploadId"], hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS + 0.1)
    old_name = Upload.objects.get(id=old["uploadId"]).storage_name
    fresh_name = Upload.objects.get(id=fresh["uploadId"]).storage_name

    # An expired upload is unknown already, before the cleanup comes by
    late_put = put(client, auth_headers, old["uploadId"], b"3\n")
    late_start = start(client, auth_headers, old["uploadId"])
    output = cleanup_now()

    assert late_put.status_code == late_start.status_code == 404
    assert "expired" in late_start.json()["error"]
    assert "Expired 1 unstarted upload(s)." in output
    assert not Upload.objects.filter(id=old["uploadId"]).exists()
    assert not default_storage.exists(old_name)
    assert default_storage.exists(fresh_name)
    assert Upload.objects.filter(id=fresh["uploadId"]).exists()


def test_on_s3_an_unstarted_upload_expires_with_its_object(
    client, auth_headers, aws, s3_media, settings
):
    target = create(client, auth_headers)
    posted = requests.post(
        target["uploadUrl"],
        data=target["fields"],
        files={"file": ("numbers.csv", b"1\n2\n")},
        timeout=10,
    )
    assert posted.status_code in (200, 204), posted.text
    key = target["fields"]["key"]
    s3 = aws.client("s3")
    assert s3.list_objects_v2(Bucket=s3_media)["KeyCount"] == 1
    age(target["uploadId"], hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS + 1)

    output = cleanup_now()

    assert "Expired 1 unstarted upload(s)." in output
    assert s3.list_objects_v2(Bucket=s3_media, Prefix=key)["KeyCount"] == 0
    assert not Upload.objects.filter(id=target["uploadId"]).exists()


def test_a_runs_file_is_kept_while_the_run_may_need_it(
    client, auth_headers, sqs_lambda, media_root, settings
):
    # Given an old upload that started a run still pending, and one whose run failed
    settings.PIPELINE_STALL_AFTER_SECONDS = 10**6  # the cleanup must not re-drive here
    pending_target, pending = upload_and_start(client, auth_headers, b"1\n2\n")
    failed_target, failed = upload_and_start(client, auth_headers, b"1\nseven\n")
    sqs_lambda.poll("map")  # both runs' loads; the failed one fails on its line
    failed_run = PipelineRun.objects.get(id=failed.json()["arrayId"])
    failed_run.refresh_from_db()
    assert failed_run.state == "failed"
    names = {
        target["uploadId"]: Upload.objects.get(id=target["uploadId"]).storage_name
        for target in (pending_target, failed_target)
    }
    for upload_id in names:
        age(upload_id, hours=10 * settings.PIPELINE_UPLOAD_EXPIRE_HOURS)
    # And the failed run has a dead letter a replay could still send, and is past retention
    letter = DeadLetter.objects.create(source="celery", step="map", body="{}", run=failed_run)
    PipelineRun.objects.filter(id=failed_run.id).update(
        finished_at=timezone.now() - timedelta(days=settings.PIPELINE_RETENTION_DAYS + 1)
    )

    kept = cleanup_now()

    # Then neither file goes: one run is pending, the other has an open dead letter
    assert "Expired 0 unstarted upload(s)." in kept
    assert "Purged the input of 0 finished run(s)." in kept
    assert all(default_storage.exists(name) for name in names.values())

    # When the letter is dropped, the failed run's file goes with its input; the row stays
    letter.delete()
    purged = cleanup_now()

    assert "Purged the input of 1 finished run(s)." in purged
    assert not default_storage.exists(names[failed_target["uploadId"]])
    assert Upload.objects.filter(id=failed_target["uploadId"]).exists()
    assert default_storage.exists(names[pending_target["uploadId"]])
    assert PipelineRun.objects.get(id=pending.json()["arrayId"]).state == "pending"


# --- the quota -------------------------------------------------------------------------------


def test_a_quota_caps_the_bytes_of_a_users_unstarted_uploads(
    client, auth_headers, sqs_lambda, media_root, settings, make_user, bearer_headers
):
    settings.PIPELINE_UPLOAD_QUOTA_BYTES = 100
    first, second = create(client, auth_headers), create(client, auth_headers)
    assert put(client, auth_headers, first["uploadId"], b"1\n" * 30).status_code == 200

    # A body that takes the user past the quota is refused, and nothing of it is kept
    over = put(client, auth_headers, second["uploadId"], b"1\n" * 30)
    # Another user has a quota of their own
    other = bearer_headers(make_user("bob"))
    theirs = put(client, other, create(client, other)["uploadId"], b"1\n" * 30)

    assert over.status_code == 413
    assert over.json()["error"].startswith("Your unstarted uploads would hold more than 100 bytes")
    assert not default_storage.exists(Upload.objects.get(id=second["uploadId"]).storage_name)
    assert theirs.status_code == 200

    # Once the first upload starts a run (or expires) its bytes no longer count
    assert start(client, auth_headers, first["uploadId"]).status_code == 200
    assert put(client, auth_headers, second["uploadId"], b"1\n" * 30).status_code == 200
    age(second["uploadId"], hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS + 1)
    third = create(client, auth_headers)
    assert put(client, auth_headers, third["uploadId"], b"1\n" * 50).status_code == 200


def test_on_s3_each_unstarted_upload_holds_its_max_bytes_of_the_quota(
    client, auth_headers, s3_media, settings
):
    settings.PIPELINE_UPLOAD_MAX_ELEMENTS = 10  # maxBytes 400
    settings.PIPELINE_UPLOAD_QUOTA_BYTES = 1000

    grants = [create(client, auth_headers)["maxBytes"] for _ in range(3)]
    refused = client.post("/sumArray/uploads", headers=auth_headers)

    assert grants == [400, 400, 200]
    assert refused.status_code == 413
    assert "(the quota; 0 left)" in refused.json()["error"]


# --- the PUT's rate limit --------------------------------------------------------------------


def test_the_local_put_is_rate_limited_in_the_database(client, auth_headers, media_root, settings):
    settings.RATE_LIMITS = {"pipeline-upload-puts": "2/hour"}
    target = create(client, auth_headers)

    statuses = [put(client, auth_headers, target["uploadId"], b"1\n").status_code for _ in "abc"]
    refused = put(client, auth_headers, target["uploadId"], b"1\n")

    assert statuses == [200, 200, 429]
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"].startswith("Too many pipeline upload puts.")
    # Counted where every process of the fleet sees the same number
    window = RateLimitWindow.objects.get(key__startswith="pipeline-upload-puts:")
    assert window.hits == 4


# --- 0 bytes ---------------------------------------------------------------------------------


def test_an_empty_put_is_refused_and_keeps_nothing(client, auth_headers, media_root):
    target = create(client, auth_headers)

    empty = put(client, auth_headers, target["uploadId"], b"")
    no_body = client.put(f"/sumArray/uploads/{target['uploadId']}", headers=auth_headers)

    for response in (empty, no_body):
        assert response.status_code == 400
        assert response.json()["error"] == "The file is empty: send at least one line"
    assert not default_storage.exists(Upload.objects.get(id=target["uploadId"]).storage_name)


def test_a_run_from_an_empty_file_is_refused_naming_the_upload(
    client, auth_headers, media_root, settings
):
    # Given an upload whose stored file is empty (e.g. an S3 object of 0 bytes)
    target = create(client, auth_headers)
    upload = Upload.objects.get(id=target["uploadId"])
    default_storage.save(upload.storage_name, ContentFile(b""))

    response = start(client, auth_headers, target["uploadId"])

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == f"The upload {target['uploadId']} is empty: there is nothing to run on"
    assert body["fields"] == {"upload": body["error"]}
    assert not PipelineRun.objects.exists()


def test_the_presigned_post_takes_1_byte_at_least(client, auth_headers, aws, s3_media):
    target = create(client, auth_headers)

    policy = json.loads(base64.b64decode(target["fields"]["policy"]))

    assert ["content-length-range", 1, target["maxBytes"]] in policy["conditions"]
    # And an empty object in the bucket does not start a run
    aws.client("s3").put_object(Bucket=s3_media, Key=target["fields"]["key"], Body=b"")
    response = start(client, auth_headers, target["uploadId"])
    assert response.status_code == 400
    assert "is empty" in response.json()["error"]


def test_the_empty_array_still_sums_to_zero(client, auth_headers, sqs_lambda):
    response = client.post(
        "/sumArray", data="[]", content_type="application/json", headers=auth_headers
    )

    state = client.get(f"/sumArray/{response.json()['arrayId']}", headers=auth_headers).json()
    assert (state["state"], state["result"]) == ("done", 0)
