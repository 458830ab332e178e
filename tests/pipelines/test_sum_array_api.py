"""POST /sumArray and GET /sumArray/{arrayId} (design §2.5) with the SQS transport."""

import json

import pytest

from pipelines.models import Packet, PipelineRun
from tests.pipelines.conftest import sum_array_post

pytestmark = pytest.mark.django_db


def test_post_returns_the_array_and_id_at_once_and_queues_one_message_per_packet(
        client, auth_headers, sqs_queues, sqs_lambda, settings, django_capture_on_commit_callbacks):
    settings.PIPELINE_PACKET_SIZE = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = sum_array_post(client, auth_headers, [1, 2.5, 3, 4, 5, 6, 7])

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert body["array"] == [1, 2.5, 3, 4, 5, 6, 7]
    assert b"2.5" in response.content
    run = PipelineRun.objects.get(id=body["arrayId"])
    assert (run.state, run.element_count, run.packet_count) == ("pending", 7, 3)
    assert sqs_lambda.depth("map") == 3

    pending = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert pending == {"status": "success", "arrayId": str(run.id), "state": "pending",
                       "result": None, "arrayLength": 7, "elementsReduced": 0}


def test_empty_array_is_done_with_sum_zero(client, auth_headers):
    response = sum_array_post(client, auth_headers, [], path="/sumArray/")

    array_id = response.json()["arrayId"]
    state = client.get(f"/sumArray/{array_id}/", headers=auth_headers).json()
    assert (state["state"], state["result"], state["arrayLength"]) == ("done", 0, 0)


@pytest.mark.parametrize("payload, fragment", [
    ('{"a": 1}', "JSON array"),
    ("[1, 2, \"three\"]", "Element 2"),
    ("[1, true]", "Element 1"),
    ("[1, null]", "Element 1"),
    ("[1, [2]]", "Element 1"),
    ("[1, NaN]", "JSON parse error"),
    ("[1, 2", "JSON parse error"),
    ('"12"', "JSON array"),
])
def test_bad_input_is_400_and_nothing_is_stored_or_queued(
        client, auth_headers, sqs_queues, sqs_lambda, payload, fragment,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sum_array_post(client, auth_headers, payload)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert fragment in body["error"]
    assert not PipelineRun.objects.exists()
    assert not Packet.objects.exists()
    assert sqs_lambda.depth("map") == 0


def test_more_elements_than_the_limit_is_400(client, auth_headers, settings):
    settings.PIPELINE_MAX_ELEMENTS = 5

    response = sum_array_post(client, auth_headers, [1] * 6)

    assert response.status_code == 400
    assert response.json()["fields"] == {"array": "at most 5 elements"}
    assert not PipelineRun.objects.exists()


def test_without_a_token_is_401(client):
    response = client.post("/sumArray", data="[1]", content_type="application/json")

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert not PipelineRun.objects.exists()


def test_another_users_run_and_unknown_ids_are_404(client, make_user, bearer_headers):
    ann, bob = make_user("ann"), make_user("bob")
    array_id = sum_array_post(client, bearer_headers(ann), []).json()["arrayId"]

    assert client.get(f"/sumArray/{array_id}", headers=bearer_headers(ann)).status_code == 200
    for path in (f"/sumArray/{array_id}", "/sumArray/not-a-uuid",
                 "/sumArray/00000000-0000-0000-0000-000000000000"):
        response = client.get(path, headers=bearer_headers(bob))
        assert response.status_code == 404
        assert response.json() == {"status": "error", "error": "Unknown arrayId"}


def test_a_sum_array_id_is_not_found_under_word_count(client, auth_headers):
    array_id = sum_array_post(client, auth_headers, []).json()["arrayId"]

    assert client.get(f"/wordCount/{array_id}", headers=auth_headers).status_code == 404
    assert json.loads(client.get(f"/sumArray/{array_id}", headers=auth_headers).content)[
        "state"] == "done"


def test_book_style_post_without_json_content_type_is_accepted(client, auth_headers):
    """`curl -d '[1,2,3]' $API/sumArray` says application/x-www-form-urlencoded."""
    response = client.post("/sumArray", data="[1, 2, 3]",
                           content_type="application/x-www-form-urlencoded",
                           headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["array"] == [1, 2, 3]


def test_body_over_the_limit_is_413_and_starts_nothing(client, auth_headers, settings):
    from pipelines.models import PipelineRun

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/sumArray", data="[" + "1," * 100 + "1]",
                           content_type="application/json", headers=auth_headers)

    assert response.status_code == 413
    assert not PipelineRun.objects.exists()
