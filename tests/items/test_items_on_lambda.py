"""Every items REST endpoint and GraphQL operation through Zappa's Lambda handler, with the
API Gateway events a deployed stage receives."""

import json
import uuid

import pytest

from benchmarks.lambda_events import api_gateway_event
from items.models import Item
from tests.helpers.items import ISO_UTC_MS

pytestmark = pytest.mark.django_db


def call(lambda_, method, path, headers, **kwargs):
    return lambda_.http(api_gateway_event(method, path, headers=headers, **kwargs))


def test_rest_endpoints_through_lambda(dev_lambda, auth_headers):
    created = call(
        dev_lambda,
        "POST",
        "/item",
        auth_headers,
        json_body={"name": "Hat", "color": "blue", "itemId": "ignored"},
    )
    assert created.status_code == 200
    item = created.json()["item"]
    assert item["itemId"] != "ignored" and ISO_UTC_MS.match(item["createdAt"])

    got = call(dev_lambda, "GET", f"/item/{item['itemId']}", auth_headers)
    assert got.json() == {"status": "success", "item": item}

    updated = call(
        dev_lambda, "POST", f"/item/{item['itemId']}/", auth_headers, json_body={"body": "new"}
    )
    assert updated.json()["item"]["body"] == "new"
    assert updated.json()["item"]["color"] == "blue"

    listed = call(dev_lambda, "GET", "/items?limit=1", auth_headers)
    assert [entry["itemId"] for entry in listed.json()["items"]] == [item["itemId"]]
    assert listed.json()["next"] is None

    deleted = call(dev_lambda, "DELETE", f"/item/{item['itemId']}", auth_headers)
    assert deleted.json()["itemWas"]["body"] == "new"
    again = call(dev_lambda, "DELETE", f"/item/{item['itemId']}", auth_headers)
    assert again.json() == {"status": "success", "itemWas": None}
    missing = call(dev_lambda, "GET", f"/item/{item['itemId']}", auth_headers)
    assert (missing.status_code, missing.json()["error"]) == (404, "Item not found")


def test_book_curl_body_through_lambda(dev_lambda, auth_headers):
    # API Gateway passes curl's body and its form content type through unchanged.
    response = call(
        dev_lambda,
        "POST",
        "/item",
        {**auth_headers, "Content-Type": "application/x-www-form-urlencoded"},
        body='{"name": "from curl"}',
    )

    assert response.status_code == 200
    assert response.json()["item"]["name"] == "from curl"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (None, 400),
        ("{bad", 400),
        ("[1]", 400),
        ("[" * 100_000 + "]" * 100_000, 400),
        (json.dumps({"name": "x" * 1_100_000}), 413),
    ],
)
def test_bad_rest_bodies_through_lambda(dev_lambda, auth_headers, body, status):
    headers = {**auth_headers, "Content-Type": "application/json"}

    response = call(dev_lambda, "POST", "/item", headers, body=body)

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert Item.objects.count() == 0


def test_anonymous_rest_through_lambda_is_401(dev_lambda):
    response = call(dev_lambda, "GET", "/items", {})

    assert response.status_code == 401
    assert response.json()["status"] == "error"


def graphql_event(query, headers, variables=None):
    return api_gateway_event(
        "POST",
        "/graphql",
        headers=headers,
        json_body={"query": query, "variables": variables or {}},
    )


def test_graphql_operations_through_lambda(dev_lambda, auth_headers):
    created = dev_lambda.http(
        graphql_event(
            'mutation { updateItem(name: "Hat", body: "Red") { id name body createdAt } }',
            auth_headers,
        )
    ).json()["data"]["updateItem"]
    item_id = created["id"]

    updated = dev_lambda.http(
        graphql_event(
            'mutation($id: String) { updateItem(id: $id, body: "Green") { id body updatedAt } }',
            auth_headers,
            {"id": item_id},
        )
    ).json()["data"]["updateItem"]
    assert updated["body"] == "Green"

    read = dev_lambda.http(
        graphql_event(
            "query($id: String!) { item(id: $id) { id name body data } }",
            auth_headers,
            {"id": item_id},
        )
    ).json()["data"]["item"]
    assert read == {"id": item_id, "name": "Hat", "body": "Green", "data": "{}"}

    page = dev_lambda.http(
        graphql_event(
            "{ items(first: 10) { edges { node { id } } pageInfo { hasNextPage } } }", auth_headers
        )
    ).json()["data"]["items"]
    assert page == {"edges": [{"node": {"id": item_id}}], "pageInfo": {"hasNextPage": False}}

    deleted = dev_lambda.http(
        graphql_event(f'mutation {{ deleteItem(id: "{item_id}") {{ id name }} }}', auth_headers)
    )
    assert deleted.json() == {"data": {"deleteItem": {"id": item_id, "name": "Hat"}}}
    assert Item.objects.get(id=item_id).deleted_at is not None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ('{ hello(name: "x" ', 400),
        ("{ " + " ".join(f"a{n}: hello" for n in range(100)) + " }", 400),
        ("{ a" * 100_000 + " }" * 100_000, 400),
    ],
)
def test_bad_graphql_through_lambda(dev_lambda, auth_headers, query, status):
    response = dev_lambda.http(graphql_event(query, auth_headers))

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert response.json()["errors"]


def test_anonymous_graphql_items_through_lambda_is_401(dev_lambda):
    response = dev_lambda.http(graphql_event(f'{{ item(id: "{uuid.uuid4()}") {{ id }} }}', {}))

    assert response.status_code == 401
