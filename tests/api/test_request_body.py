"""One wording for one mistake (docs/contract.md §2): the same bad body gets the same message from
every JSON endpoint, auth, items and pipelines alike, written for a person."""

import uuid

import pytest

from items.models import Item
from pipelines.models import PipelineRun

pytestmark = pytest.mark.django_db

OBJECT_ENDPOINTS = [
    "/login",
    "/register",
    "/verify",
    "/token/refresh",
    "/logout",
    "/item",
    "/item/{item_id}",
]
ARRAY_ENDPOINTS = ["/sumArray", "/wordCount"]

MALFORMED = [
    pytest.param(
        b'{"a": 1,',
        "Malformed JSON: a key in double quotes was expected at line 1, column 9",
        id="truncated",
    ),
    pytest.param(
        b"[1 2]", "Malformed JSON: a comma was expected at line 1, column 4", id="missing-comma"
    ),
    pytest.param(
        b"{'a': 1}",
        "Malformed JSON: a key in double quotes was expected at line 1, column 2",
        id="single-quotes",
    ),
    pytest.param(
        b'{"a": 1}\n[2]',
        "Malformed JSON: there is more text after the JSON value at line 2, column 1",
        id="two-values",
    ),
    pytest.param(
        b'"abc', "Malformed JSON: a string is not closed at line 1, column 1", id="open-string"
    ),
    pytest.param(b"\xff\xfe{}", "Malformed JSON: the body is not UTF-8 text", id="not-utf8"),
    pytest.param(
        b"[NaN]",
        "Malformed JSON: NaN is not a number in JSON (JSON has no NaN or Infinity)",
        id="nan",
    ),
    pytest.param(
        b'{"a": -Infinity}',
        "Malformed JSON: -Infinity is not a number in JSON (JSON has no NaN or Infinity)",
        id="infinity",
    ),
    pytest.param(
        b"[" * 100_000 + b"]" * 100_000, "Malformed JSON: nested too deeply", id="nested-100k"
    ),
]


@pytest.fixture
def post_to(client, user, auth_headers):
    from items.services import item_create

    item = item_create(owner=user, fields={"name": "kept"})

    def post(path_template: str, body: bytes, content_type: str = "application/json"):
        path = path_template.format(item_id=item.id)
        return client.post(path, data=body, content_type=content_type, headers=auth_headers)

    return post


@pytest.mark.parametrize("body, message", MALFORMED)
def test_the_same_malformed_body_gets_the_same_message_from_every_json_endpoint(
    post_to, body, message
):
    # Given one malformed body; When it is sent to every JSON endpoint
    answers = {path: post_to(path, body) for path in OBJECT_ENDPOINTS + ARRAY_ENDPOINTS}

    # Then each answers 400 with exactly the same message, and nothing changed
    assert {
        path: (response.status_code, response.json()) for path, response in answers.items()
    } == {path: (400, {"status": "error", "error": message}) for path in answers}
    assert Item.objects.get().name == "kept"
    assert not PipelineRun.objects.exists()


@pytest.mark.parametrize(
    "body, kind",
    [(b'"text"', "a string"), (b"12", "a number"), (b"true", "a boolean"), (b"null", "null")],
)
def test_a_value_of_the_wrong_kind_is_named_the_same_way_everywhere(post_to, body, kind):
    for path in OBJECT_ENDPOINTS:
        assert post_to(path, body).json() == {
            "status": "error",
            "error": f"Request body must be a JSON object, not {kind}",
        }, path
    for path in ARRAY_ENDPOINTS:
        assert post_to(path, body).json() == {
            "status": "error",
            "error": f"Request body must be a JSON array, not {kind}",
        }, path
    assert post_to("/item", b"[1]").json()["error"] == (
        "Request body must be a JSON object, not an array"
    )
    assert post_to("/sumArray", b'{"a": 1}').json()["error"] == (
        "Request body must be a JSON array, not an object"
    )


def test_an_empty_body_is_named_the_same_way_on_items_and_pipelines(post_to):
    assert post_to("/item", b"").json()["error"] == "Request body is empty: send a JSON object"
    assert post_to(f"/item/{uuid.uuid4()}", b" ").json()["error"] == (
        "Request body is empty: send a JSON object"
    )
    for path in ARRAY_ENDPOINTS:
        assert post_to(path, b"").json()["error"] == "Request body is empty: send a JSON array"
        assert post_to(path, b"\n ").json()["error"] == ("Request body is empty: send a JSON array")


def test_content_type_does_not_change_the_message(post_to):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json"):
        for path in ("/login", "/item", "/sumArray"):
            response = post_to(path, b"[1 2]", content_type)
            assert response.json()["error"] == (
                "Malformed JSON: a comma was expected at line 1, column 4"
            ), (path, content_type)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_request_bodies_and_exact_json_refuse_nan_with_the_one_hook(constant):
    # The one parse_constant hook (api.json_values) serves client bodies and pipelines'
    # stored values alike: the same words, a ValueError for exact_json's callers.
    from api.json_values import NonFiniteNumber
    from api.request_body import MalformedJson, decode_json
    from pipelines import exact_json

    with pytest.raises(NonFiniteNumber) as stored:
        exact_json.loads(f"[{constant}]")
    with pytest.raises(MalformedJson) as body:
        decode_json(f"[{constant}]".encode())

    assert isinstance(stored.value, ValueError)
    assert body.value.message == f"Malformed JSON: {stored.value}"
    assert str(stored.value) == f"{constant} is not a number in JSON (JSON has no NaN or Infinity)"
