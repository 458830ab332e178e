"""The book's items REST API (docs/contract.md §2.2), as a client uses it."""

import uuid

import pytest

from items.models import Item
from tests.helpers.items import ISO_UTC_MS

pytestmark = pytest.mark.django_db


def post_json(client, path, payload, headers, content_type="application/json"):
    import json

    return client.post(path, data=json.dumps(payload), content_type=content_type, headers=headers)


def test_create_returns_the_clients_fields_with_server_fields(client, auth_headers):
    response = post_json(
        client,
        "/item",
        {"name": "Shoes", "body": "Red ones", "size": 42, "tags": ["a", {"b": None}]},
        auth_headers,
    )

    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "success"
    item = payload["item"]
    assert item["name"] == "Shoes"
    assert item["body"] == "Red ones"
    assert item["size"] == 42
    assert item["tags"] == ["a", {"b": None}]
    assert uuid.UUID(item["itemId"])
    assert ISO_UTC_MS.match(item["createdAt"])
    assert item["createdAt"] == item["lastUpdatedAt"]


def test_client_cannot_set_item_id_owner_or_timestamps(client, auth_headers, user, other_user):
    chosen_id = str(uuid.uuid4())
    response = post_json(
        client,
        "/item",
        {
            "itemId": chosen_id,
            "createdAt": "2000-01-01T00:00:00.000Z",
            "lastUpdatedAt": "2000-01-01T00:00:00.000Z",
            "owner": other_user.pk,
            "name": "x",
        },
        auth_headers,
    )

    item = response.json()["item"]
    assert item["itemId"] != chosen_id
    assert not item["createdAt"].startswith("2000")
    assert not item["lastUpdatedAt"].startswith("2000")
    stored = Item.objects.get()
    assert stored.owner == user
    assert str(stored.id) == item["itemId"]


def test_book_curl_without_json_content_type_works(client, auth_headers):
    # `curl -d '{...}'` sends application/x-www-form-urlencoded.
    response = client.post(
        "/item",
        data='{"name": "from curl"}',
        content_type="application/x-www-form-urlencoded",
        headers=auth_headers,
    )

    assert response.status_code == 200
    assert response.json()["item"]["name"] == "from curl"


def test_get_returns_the_item(client, auth_headers, make_item):
    item = make_item(name="Hat", color="blue")

    response = client.get(f"/item/{item.id}", headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "item": {
            "name": "Hat",
            "color": "blue",
            "itemId": str(item.id),
            "createdAt": response.json()["item"]["createdAt"],
            "lastUpdatedAt": response.json()["item"]["lastUpdatedAt"],
        },
    }


@pytest.mark.parametrize("suffix", ["", "/"])
def test_paths_answer_with_and_without_trailing_slash(client, auth_headers, make_item, suffix):
    item = make_item(name="Hat")

    assert client.get(f"/item/{item.id}{suffix}", headers=auth_headers).status_code == 200
    assert client.get(f"/items{suffix}", headers=auth_headers).status_code == 200
    created = post_json(client, f"/item{suffix}", {"name": "x"}, auth_headers)
    assert created.status_code == 200
    updated = post_json(client, f"/item/{item.id}{suffix}", {"name": "y"}, auth_headers)
    assert updated.status_code == 200
    assert client.delete(f"/item/{item.id}{suffix}", headers=auth_headers).status_code == 200


def test_update_sets_sent_fields_keeps_others_and_created_at(client, auth_headers, make_item):
    item = make_item(name="Hat", body="old", color="blue", size=1)
    before = client.get(f"/item/{item.id}", headers=auth_headers).json()["item"]

    response = post_json(
        client, f"/item/{item.id}", {"body": "new", "size": 2, "itemId": "ignored"}, auth_headers
    )

    assert response.status_code == 200
    after = response.json()["item"]
    assert after["name"] == "Hat"
    assert after["body"] == "new"
    assert after["color"] == "blue"
    assert after["size"] == 2
    assert after["itemId"] == str(item.id)
    assert after["createdAt"] == before["createdAt"]
    assert after["lastUpdatedAt"] > before["lastUpdatedAt"]
    assert client.get(f"/item/{item.id}", headers=auth_headers).json()["item"] == after


def test_update_with_null_name_removes_it(client, auth_headers, make_item):
    item = make_item(name="Hat", color="blue")

    after = post_json(client, f"/item/{item.id}", {"name": None}, auth_headers).json()["item"]

    assert "name" not in after
    assert after["color"] == "blue"


def test_update_unknown_item_is_404_and_creates_nothing(client, auth_headers):
    response = post_json(client, f"/item/{uuid.uuid4()}", {"name": "x"}, auth_headers)

    assert response.status_code == 404
    assert response.json() == {"status": "error", "error": "Item not found"}
    assert Item.objects.count() == 0


def test_get_unknown_item_is_404(client, auth_headers):
    response = client.get(f"/item/{uuid.uuid4()}", headers=auth_headers)

    assert response.status_code == 404
    assert response.json() == {"status": "error", "error": "Item not found"}


@pytest.mark.parametrize("item_id", ["not-a-uuid", "1", "%20", "00000000-0000-0000-0000"])
def test_an_id_that_is_not_a_uuid_is_an_unknown_item(client, auth_headers, item_id):
    # Given an id the client made up in a format that is not ours (docs/contract.md §2.2)

    # When it is read, updated and deleted
    read = client.get(f"/item/{item_id}", headers=auth_headers)
    updated = post_json(client, f"/item/{item_id}", {"name": "x"}, auth_headers)
    deleted = client.delete(f"/item/{item_id}", headers=auth_headers)

    # Then it behaves exactly like an unknown UUID: not found, nothing created or deleted
    assert (read.status_code, read.json()) == (404, {"status": "error", "error": "Item not found"})
    assert (updated.status_code, updated.json()) == (
        404,
        {"status": "error", "error": "Item not found"},
    )
    assert (deleted.status_code, deleted.json()) == (200, {"status": "success", "itemWas": None})
    assert Item.objects.count() == 0


def test_delete_returns_the_item_as_it_was_then_null(client, auth_headers, make_item):
    item = make_item(name="Hat", color="blue")
    before = client.get(f"/item/{item.id}", headers=auth_headers).json()["item"]

    first = client.delete(f"/item/{item.id}", headers=auth_headers)
    second = client.delete(f"/item/{item.id}", headers=auth_headers)

    assert first.status_code == 200
    assert first.json() == {"status": "success", "itemWas": before}
    assert second.status_code == 200
    assert second.json() == {"status": "success", "itemWas": None}
    assert client.get(f"/item/{item.id}", headers=auth_headers).status_code == 404


def test_delete_is_soft(client, auth_headers, make_item):
    item = make_item(name="Hat")

    client.delete(f"/item/{item.id}", headers=auth_headers)

    item.refresh_from_db()
    assert item.deleted_at is not None
    assert item.name == "Hat"


def test_delete_unknown_item_is_null(client, auth_headers):
    response = client.delete(f"/item/{uuid.uuid4()}", headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == {"status": "success", "itemWas": None}


def test_another_users_item_is_exactly_like_a_missing_one(
    client, auth_headers, make_item, other_user
):
    theirs = make_item(owner=other_user, name="Secret")
    missing = uuid.uuid4()

    for item_id in (theirs.id, missing):
        got = client.get(f"/item/{item_id}", headers=auth_headers)
        updated = post_json(client, f"/item/{item_id}", {"name": "mine now"}, auth_headers)
        deleted = client.delete(f"/item/{item_id}", headers=auth_headers)
        assert (got.status_code, got.json()) == (
            404,
            {"status": "error", "error": "Item not found"},
        )
        assert (updated.status_code, updated.json()) == (
            404,
            {"status": "error", "error": "Item not found"},
        )
        assert (deleted.status_code, deleted.json()) == (
            200,
            {"status": "success", "itemWas": None},
        )
    theirs.refresh_from_db()
    assert theirs.name == "Secret"
    assert theirs.deleted_at is None
    listed = client.get("/items", headers=auth_headers).json()["items"]
    assert listed == []


def test_list_pages_with_a_cursor_newest_first(client, auth_headers, make_item):
    made = [make_item(name=f"item {number}") for number in range(5)]

    first = client.get("/items?limit=2", headers=auth_headers).json()
    second = client.get(f"/items?limit=2&cursor={first['next']}", headers=auth_headers).json()
    third = client.get(f"/items?limit=2&cursor={second['next']}", headers=auth_headers).json()

    listed = [item for page in (first, second, third) for item in page["items"]]
    assert sorted(item["itemId"] for item in listed) == sorted(str(item.id) for item in made)
    # Newest first; items made in the same millisecond are ordered by itemId.
    order = [(item["createdAt"], item["itemId"]) for item in listed]
    assert order == sorted(order, reverse=True)
    assert [len(page["items"]) for page in (first, second, third)] == [2, 2, 1]
    assert third["next"] is None
    assert first["status"] == "success"


def test_list_cursor_survives_deletions_between_pages(client, auth_headers, make_item):
    made = [make_item(name=f"item {number}") for number in range(6)]
    first = client.get("/items?limit=3", headers=auth_headers).json()
    seen = {item["itemId"] for item in first["items"]}
    # The item the cursor points at and one on the next page disappear meanwhile.
    unseen = [item for item in made if str(item.id) not in seen]
    client.delete(f"/item/{first['items'][-1]['itemId']}", headers=auth_headers)
    client.delete(f"/item/{unseen[0].id}", headers=auth_headers)

    second = client.get(f"/items?limit=3&cursor={first['next']}", headers=auth_headers).json()

    assert {item["itemId"] for item in second["items"]} == {str(item.id) for item in unseen[1:]}
    assert second["next"] is None


def test_list_skips_deleted_items(client, auth_headers, make_item):
    kept, deleted = make_item(name="kept"), make_item(name="deleted")
    client.delete(f"/item/{deleted.id}", headers=auth_headers)

    items = client.get("/items", headers=auth_headers).json()["items"]

    assert [item["itemId"] for item in items] == [str(kept.id)]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "limit=-1", "cursor=garbage", "cursor=%F0%9F%91%8B"],
)
def test_list_rejects_bad_limit_or_cursor(client, auth_headers, query):
    response = client.get(f"/items?{query}", headers=auth_headers)

    assert response.status_code == 400
    assert response.json()["status"] == "error"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/item"),
        ("get", "/item/00000000-0000-0000-0000-000000000000"),
        ("post", "/item/00000000-0000-0000-0000-000000000000"),
        ("delete", "/item/00000000-0000-0000-0000-000000000000"),
        ("get", "/items"),
    ],
)
def test_anonymous_requests_are_401_json(client, method, path):
    response = client.generic(method.upper(), path, data="{}", content_type="application/json")

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert Item.objects.count() == 0


def test_bad_token_is_401(client):
    response = client.get("/items", headers={"Authorization": "Bearer not.a.token"})

    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_views_declare_the_scopes_they_need():
    from items import apis

    assert apis.ItemCreateApi.required_scopes == ["items:write"]
    assert apis.ItemListApi.required_scopes == ["items:read"]
    detail = apis.ItemDetailApi()
    for method, scopes in (
        ("GET", ["items:read"]),
        ("POST", ["items:write"]),
        ("DELETE", ["items:write"]),
    ):
        detail.request = type("Request", (), {"method": method})()
        assert detail.required_scopes == scopes
