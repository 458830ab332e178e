"""The items GraphQL API (docs/contract.md §2.3): the same items as REST, bounded queries, auth."""

import json
import uuid

import pytest

from items.models import Item
from tests.helpers.items import ISO_UTC_MS

pytestmark = pytest.mark.django_db

ITEM_FIELDS = "id name body data createdAt updatedAt"


def test_update_item_without_id_creates(graphql, auth_headers, user):
    response = graphql(
        f'mutation {{ updateItem(name: "Hat", body: "Red") {{ {ITEM_FIELDS} }} }}',
        headers=auth_headers,
    )

    assert response.status_code == 200
    item = response.json()["data"]["updateItem"]
    assert (item["name"], item["body"], json.loads(item["data"])) == ("Hat", "Red", {})
    assert ISO_UTC_MS.match(item["createdAt"]) and item["createdAt"] == item["updatedAt"]
    assert Item.objects.get(id=item["id"]).owner == user


def test_update_item_with_id_updates_sent_fields_only(graphql, auth_headers, make_item):
    item = make_item(name="Hat", body="Red", color="blue")

    response = graphql(
        f'mutation($id: String) {{ updateItem(id: $id, body: "Green") {{ {ITEM_FIELDS} }} }}',
        {"id": str(item.id)},
        auth_headers,
    )

    updated = response.json()["data"]["updateItem"]
    assert (updated["name"], updated["body"]) == ("Hat", "Green")
    assert json.loads(updated["data"]) == {"color": "blue"}
    assert updated["updatedAt"] > updated["createdAt"]


def test_update_item_unknown_id_is_an_error_and_stores_nothing(graphql, auth_headers):
    response = graphql(
        f'mutation {{ updateItem(id: "{uuid.uuid4()}", name: "x") {{ id }} }}', headers=auth_headers
    )

    assert response.json()["errors"][0]["message"] == "Item not found"
    assert response.json()["data"] == {"updateItem": None}
    assert Item.objects.count() == 0


def test_same_items_as_rest(client, graphql, auth_headers, make_item):
    item = make_item(name="Hat", body="Red", color="blue", sizes=[1, 2])
    rest = client.get(f"/item/{item.id}", headers=auth_headers).json()["item"]

    response = graphql(f'{{ item(id: "{item.id}") {{ {ITEM_FIELDS} }} }}', headers=auth_headers)

    node = response.json()["data"]["item"]
    assert node["id"] == rest["itemId"]
    assert node["name"] == rest["name"] and node["body"] == rest["body"]
    assert json.loads(node["data"]) == {"color": "blue", "sizes": [1, 2]}
    assert node["createdAt"] == rest["createdAt"]
    assert node["updatedAt"] == rest["lastUpdatedAt"]


def test_item_of_another_user_missing_or_deleted_is_null(
    graphql, auth_headers, make_item, other_user
):
    theirs = make_item(owner=other_user, name="Secret")
    deleted = make_item(name="gone")
    graphql(f'mutation {{ deleteItem(id: "{deleted.id}") {{ id }} }}', headers=auth_headers)

    for item_id in (theirs.id, deleted.id, uuid.uuid4()):
        response = graphql(f'{{ item(id: "{item_id}") {{ id name }} }}', headers=auth_headers)
        assert response.json() == {"data": {"item": None}}
    response = graphql(
        f'mutation {{ updateItem(id: "{theirs.id}", name: "mine") {{ id }} }}', headers=auth_headers
    )
    assert response.json()["errors"][0]["message"] == "Item not found"
    theirs.refresh_from_db()
    assert theirs.name == "Secret"


def test_delete_item_returns_it_as_it_was_then_null(graphql, auth_headers, make_item):
    item = make_item(name="Hat")
    mutation = f'mutation {{ deleteItem(id: "{item.id}") {{ id name }} }}'

    first = graphql(mutation, headers=auth_headers).json()
    second = graphql(mutation, headers=auth_headers).json()

    assert first == {"data": {"deleteItem": {"id": str(item.id), "name": "Hat"}}}
    assert second == {"data": {"deleteItem": None}}
    item.refresh_from_db()
    assert item.deleted_at is not None


def test_an_id_that_is_not_a_uuid_is_an_unknown_item(graphql, auth_headers):
    # Given an id in a format that is not ours; when it is read, updated and deleted
    read = graphql('{ item(id: "nope") { id } }', headers=auth_headers).json()
    updated = graphql(
        'mutation { updateItem(id: "nope", name: "x") { id } }', headers=auth_headers
    ).json()
    deleted = graphql('mutation { deleteItem(id: "nope") { id } }', headers=auth_headers).json()

    # Then each answers as for an unknown UUID (null, "Item not found", null), no format error
    assert read == {"data": {"item": None}}
    assert updated["errors"][0]["message"] == "Item not found"
    assert deleted == {"data": {"deleteItem": None}}
    assert Item.objects.count() == 0


def test_items_connection_pages_with_cursors(graphql, auth_headers, make_item):
    made = {str(make_item(name=f"n{number}").id) for number in range(5)}
    query = (
        "query($after: String) { items(first: 2, after: $after) { edges { cursor "
        "node { id } } pageInfo { hasNextPage endCursor } } }"
    )

    seen, after, pages = [], None, 0
    while True:
        connection = graphql(query, {"after": after}, auth_headers).json()["data"]["items"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]

    assert pages == 3
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize("first", [0, -1, 101, 1000])
def test_page_size_is_bounded(graphql, auth_headers, first):
    response = graphql(
        f"{{ items(first: {first}) {{ edges {{ node {{ id }} }} }} }}", headers=auth_headers
    )

    assert response.json()["errors"][0]["message"] == "first must be between 1 and 100"
    assert response.json()["data"] == {"items": None}


def test_bad_cursor_is_an_error(graphql, auth_headers):
    response = graphql(
        '{ items(after: "garbage") { edges { node { id } } } }', headers=auth_headers
    )

    assert response.json()["errors"][0]["message"] == "Invalid cursor"


def test_list_queries_are_constant_no_n_plus_one(
    graphql, auth_headers, make_item, django_assert_num_queries
):
    query = f"{{ items(first: 100) {{ edges {{ node {{ {ITEM_FIELDS} }} }} }} }}"
    make_item(name="one")
    with django_assert_num_queries(2):  # the token's user, the page
        graphql(query, headers=auth_headers)
    for number in range(99):
        make_item(name=f"n{number}")

    with django_assert_num_queries(2):
        response = graphql(query, headers=auth_headers)

    assert len(response.json()["data"]["items"]["edges"]) == 100


def test_rest_list_queries_are_constant(client, auth_headers, make_item, django_assert_num_queries):
    for number in range(100):
        make_item(name=f"n{number}")

    with django_assert_num_queries(2):
        response = client.get("/items?limit=100", headers=auth_headers)

    assert len(response.json()["items"]) == 100


def test_anonymous_item_access_is_401(graphql):
    for query in (
        "{ items { edges { node { id } } } }",
        f'{{ item(id: "{uuid.uuid4()}") {{ id }} }}',
        'mutation { updateItem(name: "x") { id } }',
    ):
        response = graphql(query)
        assert response.status_code == 401
        assert response.json()["status"] == "error"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert Item.objects.count() == 0


def test_public_hello_needs_no_token(graphql):
    response = graphql('{ hello(name: "Ann") }')

    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "Hello Ann 👋"}}


def test_bad_token_is_401(graphql):
    response = graphql("{ hello }", headers={"Authorization": "Bearer forged.token.here"})

    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_session_cookie_does_not_authenticate_graphql(client, graphql, user):
    # The endpoint is exempt from CSRF, so only the bearer token may authenticate.
    client.force_login(user)

    response = graphql("{ items { edges { node { id } } } }")

    assert response.status_code == 401


def test_mutation_over_get_is_refused(client, auth_headers):
    response = client.get(
        "/graphql",
        {"query": 'mutation { updateItem(name: "x") { id } }'},
        headers={**auth_headers, "Accept": "application/json"},
    )

    assert response.status_code == 405
    assert Item.objects.count() == 0


def test_query_over_get_works(client, auth_headers, make_item):
    item = make_item(name="Hat")

    response = client.get(
        "/graphql",
        {"query": f'{{ item(id: "{item.id}") {{ name }} }}'},
        headers={**auth_headers, "Accept": "application/json"},
    )

    assert response.json() == {"data": {"item": {"name": "Hat"}}}


def test_a_mutation_document_that_fails_stores_nothing(graphql, auth_headers):
    # The first mutation succeeds, the second fails: the document is rolled back as a whole.
    response = graphql(
        'mutation { first: updateItem(name: "kept?") { id } '
        f'second: updateItem(id: "{uuid.uuid4()}", name: "x") {{ id }} }}',
        headers=auth_headers,
    )

    assert response.json()["errors"][0]["message"] == "Item not found"
    assert Item.objects.count() == 0


def test_a_repeated_query_is_answered_from_the_checked_document_cache(
    graphql, auth_headers, make_item
):
    from config.graphql.documents import checked_document

    item = make_item(name="Hat")
    query = "query($id: String!) { item(id: $id) { name } }"
    graphql(query, {"id": str(item.id)}, auth_headers)
    hits = checked_document.cache_info().hits

    response = graphql(query, {"id": str(item.id)}, auth_headers)

    assert response.json() == {"data": {"item": {"name": "Hat"}}}
    assert checked_document.cache_info().hits == hits + 1


def test_rejected_documents_are_not_cached(graphql, auth_headers):
    from config.graphql.documents import checked_document

    size = checked_document.cache_info().currsize
    for query in (
        "{ hello(",
        "{ nope }",
        "{ " + " ".join(f"a{n}: hello" for n in range(30)) + " }",
    ):
        assert graphql(query, headers=auth_headers).status_code == 400

    assert checked_document.cache_info().currsize == size


@pytest.mark.parametrize("name", ["a\u0000b", "\ud800"])
def test_unstorable_strings_are_refused(graphql, auth_headers, name):
    response = graphql(
        "mutation($name: String) { updateItem(name: $name) { id } }", {"name": name}, auth_headers
    )

    assert response.json()["data"] == {"updateItem": None}
    assert response.json()["errors"][0]["message"]
    assert Item.objects.count() == 0
