"""Bad input to the items REST API: a JSON error with the right status, never a 500, and
nothing stored."""

import json

import pytest

from items.models import Item

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000

BAD_BODIES = [
    pytest.param(b"", "Request body is empty: send a JSON object", id="no-body"),
    pytest.param(b"   \n", "Request body is empty: send a JSON object", id="blank-body"),
    pytest.param(b'{"name": "x",', "Malformed JSON", id="truncated-json"),
    pytest.param(b"{'name': 'x'}", "Malformed JSON", id="single-quotes"),
    pytest.param(b"\xff\xfe{}", "Malformed JSON: the body is not UTF-8", id="not-utf8"),
    pytest.param(b"[1, 2]", "Request body must be a JSON object, not an array", id="array"),
    pytest.param(b"42", "Request body must be a JSON object, not a number", id="number"),
    pytest.param(b'"text"', "Request body must be a JSON object, not a string", id="string"),
    pytest.param(b"null", "Request body must be a JSON object, not null", id="null"),
    pytest.param(b"true", "Request body must be a JSON object, not a boolean", id="boolean"),
    pytest.param(DEEP_ARRAY.encode(), "Malformed JSON: nested too deeply", id="deep-100k-array"),
    pytest.param(DEEP_OBJECT.encode(), "Malformed JSON: nested too deeply", id="deep-100k-object"),
    pytest.param(
        json.dumps({"a": json.loads("[" * 100 + "]" * 100)}).encode(),
        "JSON is nested too deeply (more than 64 levels)",
        id="deep-100-in-item",
    ),
    pytest.param(b'{"name": 5}', "Invalid input: name must be a string", id="name-not-string"),
    pytest.param(
        b'{"body": {"a": 1}}', "Invalid input: body must be a string", id="body-not-string"
    ),
    pytest.param(b'{"name": "a\\u0000b"}', "contains a NUL character", id="nul-in-string"),
    pytest.param(b'{"a\\u0000": 1}', "contains a NUL character", id="nul-in-key"),
    pytest.param(b'{"a": "\\ud800"}', "unpaired surrogate", id="lone-surrogate"),
    pytest.param(b'{"a": NaN}', "Malformed JSON", id="nan"),
    pytest.param(b'{"a": 1e999}', "Numbers must be finite", id="infinity"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_create_refuses_bad_bodies(client, auth_headers, body, message):
    response = client.post(
        "/item", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "error"
    assert message in response.json()["error"]
    assert Item.objects.count() == 0


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_update_refuses_bad_bodies_and_keeps_the_item(
    client, auth_headers, make_item, body, message
):
    item = make_item(name="kept", color="blue")
    before = Item.objects.values().get()

    response = client.post(
        f"/item/{item.id}", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Item.objects.values().get() == before


def test_body_over_the_limit_is_413_and_nothing_stored(client, auth_headers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})

    response = client.post(
        "/item", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 413
    assert response.json() == {
        "status": "error",
        "error": "Request body is too large (more than 1000 bytes)",
    }
    assert Item.objects.count() == 0


def test_default_limit_applies_to_the_rest_api(client, auth_headers, settings):
    # DRF reads the stream itself; the project's limit (1 MiB by default) must still hold.
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = client.post(
        "/item", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 413
    assert Item.objects.count() == 0


def test_body_under_the_limit_is_stored(client, auth_headers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 900})

    response = client.post(
        "/item", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 200
    assert Item.objects.get().name == "x" * 900


def test_stream_without_a_length_is_read_bounded(settings):
    # A chunked body (no Content-Length) must not be read past the limit either.
    import io

    from api.request_body import RequestBodyTooLarge, read_limited

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = io.BytesIO(b"x" * 10_000)

    with pytest.raises(RequestBodyTooLarge):
        read_limited(stream, content_length=None)
    assert stream.tell() == 1001


def test_a_valid_item_at_the_nesting_limit_is_stored(client, auth_headers):
    nested = json.loads("[" * 63 + "]" * 63)

    response = client.post(
        "/item",
        data=json.dumps({"deep": nested}),
        content_type="application/json",
        headers=auth_headers,
    )

    assert response.status_code == 200
    assert Item.objects.get().data == {"deep": nested}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_unsupported_methods_are_405_json(client, auth_headers, method):
    response = client.generic(
        method, "/item", data="{}", content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 405
    assert response.json()["status"] == "error"
