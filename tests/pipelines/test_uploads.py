"""Big inputs (docs/pipelines.md "Big inputs"): the pipelines' body limit agrees with their
element limit, and a run takes its input from an uploaded file, locally through the media
storage and on AWS through a presigned S3 POST (moto's server), cut into byte ranges that
maps read in parallel. SQS queues in moto, consumers through Zappa's real handler."""

import uuid

import pytest
import requests
from django.core.files.storage import default_storage

from pipelines import exact_json
from pipelines.models import PipelineRun, Upload
from pipelines.parsers import pipeline_body_max_bytes
from tests.helpers.pipelines import sum_array_post

pytestmark = pytest.mark.django_db(transaction=True)


def numbers_file(numbers, *, per_line: int = 1) -> bytes:
    lines = [
        ",".join(str(n) for n in numbers[i : i + per_line])
        for i in range(0, len(numbers), per_line)
    ]
    return ("\n".join(lines) + "\n").encode()


def upload_and_start(client, headers, content: bytes, *, path="/sumArray"):
    created = client.post(f"{path}/uploads", headers=headers)
    assert created.status_code == 200, created.content
    target = created.json()
    assert target["method"] == "PUT"
    put = client.put(
        target["uploadUrl"].removeprefix("http://testserver"),
        data=content,
        content_type="text/csv",
        headers=headers,
    )
    assert put.status_code == 200, put.content
    assert put.json()["bytes"] == len(content)
    started = client.post(
        path,
        data=exact_json.dumps({"upload": target["uploadId"]}),
        content_type="application/json",
        headers=headers,
    )
    return target, started


# --- the body limit ------------------------------------------------------------------------


def test_the_element_limit_is_reachable_with_ordinary_numbers(client, auth_headers, settings):
    # Given 100 000 numbers of 12 digits: 1.3 MB of JSON, over the 1 MiB default body limit
    numbers = [10**11 + i for i in range(settings.PIPELINE_MAX_ELEMENTS)]
    body = exact_json.dumps(numbers)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = sum_array_post(client, auth_headers, body)

    assert response.status_code == 200, response.content[:300]
    run = PipelineRun.objects.get(id=response.json()["arrayId"])
    assert run.element_count == 100_000


def test_the_pipeline_body_limit_is_the_element_budget_and_fits_lambda(
    client, auth_headers, settings
):
    # Given the budget: 100 000 x 40 bytes, under Lambda's 6 MB once base64-encoded
    assert pipeline_body_max_bytes() == 100_000 * 40 <= 6_000_000 * 3 // 4
    body = "[" + " " * pipeline_body_max_bytes() + "1]"

    response = sum_array_post(client, auth_headers, body)

    assert response.status_code == 413
    assert response.json()["error"] == (
        f"Request body is too large (more than {pipeline_body_max_bytes()} bytes)"
    )


# --- uploads through the media storage ---------------------------------------------------------


def test_a_run_from_an_uploaded_file_is_read_in_ranges_and_sums(
    client, auth_headers, sqs_lambda, media_root, settings, user
):
    # Given a file of CSV lines and JSON lines, read in ranges of 4 kB
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 4096
    numbers = [10**11 + i for i in range(3000)] + ["1.5", "-2"]
    content = numbers_file(numbers[:1500], per_line=3) + numbers_file(numbers[1500:])

    target, started = upload_and_start(client, auth_headers, content)

    assert started.status_code == 200, started.content
    assert started.json()["queued"] is True and started.json()["upload"] == target["uploadId"]
    upload = Upload.objects.get(id=target["uploadId"])
    assert upload.storage_name == f"pipeline-uploads/{user.pk}/{upload.id}.txt"
    assert (media_root / upload.storage_name).read_bytes() == content
    # Every range's map is queued at once: nothing of the file is in the database
    run = PipelineRun.objects.get(id=started.json()["arrayId"])
    assert run.packet_count == -(-len(content) // 4096) == sqs_lambda.depth("map")
    assert not run.packets.exclude(elements_json="").exists()
    sqs_lambda.drain()
    state = client.get(f"/sumArray/{started.json()['arrayId']}", headers=auth_headers).json()
    assert state["state"] == "done", state
    assert state["arrayLength"] == 3002
    expected = 2 * (sum(10**11 + i for i in range(3000))) + 3 - 4
    assert exact_json.loads(exact_json.dumps(state["result"])) == expected


def test_an_empty_file_is_a_finished_run_of_nothing(client, auth_headers, sqs_lambda, media_root):
    _, started = upload_and_start(client, auth_headers, b"\n\n")
    sqs_lambda.drain()

    state = client.get(f"/sumArray/{started.json()['arrayId']}", headers=auth_headers).json()
    assert (state["state"], state["result"], state["arrayLength"]) == ("done", 0, 0)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('"seven"', "Line 7, value 1: it is a string, not a number"),
        ("1,2,", "Line 7: Malformed JSON"),
        ("1e999999", "Line 7, value 1:"),
        ("1" * 50, "Line 7 is longer than 40 bytes"),
    ],
)
def test_a_bad_line_fails_the_run_with_a_reason_naming_it(
    client, auth_headers, sqs_lambda, media_root, settings, line, problem
):
    # Given a file whose 7th line is not numbers, in ranges of 40 bytes
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 40
    content = b"1\n2\n3\n4\n5\n6\n" + line.encode() + b"\n8\n"

    _, started = upload_and_start(client, auth_headers, content)
    sqs_lambda.drain()

    state = client.get(f"/sumArray/{started.json()['arrayId']}", headers=auth_headers).json()
    assert state["state"] == "failed", state
    assert problem in state["failureReason"]
    assert state["failureReason"].startswith("The uploaded file cannot be used")


def test_too_many_elements_in_a_file_fail_the_run(
    client, auth_headers, sqs_lambda, media_root, settings
):
    # Given 11 numbers, in ranges of 6 bytes (3 numbers each): no one range is over the limit
    settings.PIPELINE_UPLOAD_MAX_ELEMENTS = 10
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 6
    _, started = upload_and_start(client, auth_headers, numbers_file(list(range(11))))
    sqs_lambda.drain()

    state = client.get(f"/sumArray/{started.json()['arrayId']}", headers=auth_headers).json()
    assert state["state"] == "failed"
    assert "more than 10" in state["failureReason"]


def test_an_upload_is_its_owners_and_starts_one_run(
    client, auth_headers, sqs_lambda, media_root, make_user, bearer_headers
):
    target, started = upload_and_start(client, auth_headers, b"1\n2\n")
    assert started.status_code == 200
    other = bearer_headers(make_user("bob"))
    body = exact_json.dumps({"upload": target["uploadId"]})

    again = client.post(
        "/sumArray", data=body, content_type="application/json", headers=auth_headers
    )
    by_other = client.post("/sumArray", data=body, content_type="application/json", headers=other)
    put_by_other = client.put(
        f"/sumArray/uploads/{target['uploadId']}",
        data=b"9\n",
        content_type="text/csv",
        headers=other,
    )
    unknown = client.post(
        "/sumArray",
        data=exact_json.dumps({"upload": str(uuid.uuid4())}),
        content_type="application/json",
        headers=auth_headers,
    )

    assert again.status_code == 409
    assert again.json() == {"status": "error", "error": "This upload already started a run"}
    assert by_other.status_code == put_by_other.status_code == unknown.status_code == 404
    assert by_other.json()["error"] == "Unknown uploadId"


def test_a_run_from_an_upload_never_sent_is_refused(client, auth_headers, media_root):
    created = client.post("/sumArray/uploads", headers=auth_headers).json()

    response = client.post(
        "/sumArray",
        data=exact_json.dumps({"upload": created["uploadId"]}),
        content_type="application/json",
        headers=auth_headers,
    )

    assert response.status_code == 400
    assert response.json()["error"] == (
        "Nothing was uploaded for this uploadId yet: send the file first"
    )


def test_a_file_over_the_upload_limit_is_refused_while_streaming(
    client, auth_headers, media_root, settings
):
    settings.PIPELINE_UPLOAD_MAX_ELEMENTS = 10  # x 40 bytes: 400 bytes
    created = client.post("/sumArray/uploads", headers=auth_headers).json()

    response = client.put(
        f"/sumArray/uploads/{created['uploadId']}",
        data=b"1\n" * 201,
        content_type="text/csv",
        headers=auth_headers,
    )

    assert response.status_code == 413
    assert response.json()["error"] == "The file is too large (more than 400 bytes)"
    assert not list(media_root.rglob("*.txt"))  # no half file left


# --- uploads through a presigned S3 POST ---------------------------------------------------------


def test_on_s3_the_file_goes_to_a_presigned_post_under_the_users_prefix(
    client, auth_headers, sqs_lambda, aws, s3_media, settings, user
):
    # Given the AWS stages' media storage: the stage's bucket (moto's S3 over HTTP)
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 1000
    numbers = [10**11 + i for i in range(500)]
    content = numbers_file(numbers)

    created = client.post("/sumArray/uploads", headers=auth_headers)
    target = created.json()
    assert target["method"] == "POST" and target["uploadUrl"].startswith(aws.endpoint_url)
    key = target["fields"]["key"]
    assert key == f"pipeline-uploads/{user.pk}/{target['uploadId']}.txt"
    posted = requests.post(
        target["uploadUrl"],
        data=target["fields"],
        files={"file": ("numbers.csv", content)},
        timeout=10,
    )
    assert posted.status_code in (200, 204), posted.text
    refused_put = client.put(
        f"/sumArray/uploads/{target['uploadId']}",
        data=b"1\n",
        content_type="text/csv",
        headers=auth_headers,
    )
    started = client.post(
        "/sumArray",
        data=exact_json.dumps({"upload": target["uploadId"]}),
        content_type="application/json",
        headers=auth_headers,
    )
    sqs_lambda.drain()

    assert refused_put.status_code == 400
    assert started.status_code == 200, started.content
    # Encrypted at rest: the signed policy demands it (moto does not record it from a POST)
    assert target["fields"]["x-amz-server-side-encryption"] == "AES256"
    state = client.get(f"/sumArray/{started.json()['arrayId']}", headers=auth_headers).json()
    assert state["state"] == "done", state
    assert state["result"] == 2 * sum(numbers) and state["arrayLength"] == 500
    assert default_storage.exists(key)


def test_lost_range_maps_are_sent_again_by_the_cleanup(
    client, auth_headers, sqs_lambda, media_root, settings
):
    # Given a run whose range maps were partly lost (queue purged after the first batch)
    from pipelines.services.cleanup import runs_cleanup

    settings.PIPELINE_UPLOAD_RANGE_BYTES = 20
    settings.PIPELINE_STALL_AFTER_SECONDS = 0
    numbers = list(range(1, 201))
    _, started = upload_and_start(client, auth_headers, numbers_file(numbers))
    sqs_lambda.poll("map")  # 10 of the ranges: their partials and reduces
    sqs_lambda.client.purge_queue(QueueUrl=sqs_lambda.queues["map"].url)
    run = PipelineRun.objects.get(id=started.json()["arrayId"])
    assert run.state == "pending" and 0 < run.scratchpad.count() < run.packet_count
    # While pending, arrayLength counts the elements of the ranges read so far
    pending = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert 0 < pending["arrayLength"] == sum(run.scratchpad.values_list("element_count", flat=True))
    assert pending["arrayLength"] < 200

    summary = runs_cleanup()
    sqs_lambda.drain()

    assert summary["redriven"] == [str(run.id)]
    state = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert (state["state"], state["result"], state["arrayLength"]) == ("done", 2 * 20100, 200)


def test_retention_deletes_the_uploaded_file_with_the_packets_text(
    client, auth_headers, sqs_lambda, media_root, settings
):
    # Given a run from a file, finished longer ago than the retention
    from datetime import timedelta

    from django.utils import timezone

    from pipelines.services.cleanup import runs_purge_finished

    target, started = upload_and_start(client, auth_headers, b"1\n2\n")
    sqs_lambda.drain()
    run = PipelineRun.objects.get(id=started.json()["arrayId"])
    assert run.state == "done"
    name = Upload.objects.get(id=target["uploadId"]).storage_name
    assert default_storage.exists(name)

    purged = runs_purge_finished(
        now=timezone.now() + timedelta(days=settings.PIPELINE_RETENTION_DAYS + 1)
    )

    assert purged == 1
    assert not default_storage.exists(name)
    assert client.get(f"/sumArray/{run.id}", headers=auth_headers).json()["result"] == 6
