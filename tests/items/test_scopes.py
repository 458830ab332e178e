"""Items need the token's items:read / items:write scopes, in REST and GraphQL alike."""

import pytest
from django.contrib.auth.models import Group

from items.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_user):
    """A user whose only role grants items:read."""
    from accounts.models import Scope

    user = make_user("reader")
    user.groups.clear()
    role = Group.objects.create(name="item-readers")
    role.scopes.add(Scope.objects.get(name="items:read"))
    user.groups.add(role)
    return user


def test_rest_write_without_items_write_is_403_and_stores_nothing(client, reader, bearer_headers):
    response = client.post(
        "/item", {"name": "Hat"}, content_type="application/json", headers=bearer_headers(reader)
    )

    assert response.status_code == 403
    assert response.json() == {"status": "error", "error": "Missing scope: items:write"}
    assert not Item.objects.exists()


def test_rest_read_with_items_read_is_allowed(client, reader, bearer_headers):
    response = client.get("/items", headers=bearer_headers(reader))

    assert response.status_code == 200


def test_rest_read_without_any_scope_is_403(client, make_user, bearer_headers):
    user = make_user("nobody")
    user.groups.clear()

    response = client.get("/items", headers=bearer_headers(user))

    assert response.status_code == 403


def test_graphql_mutation_without_items_write_is_forbidden(graphql, reader, bearer_headers):
    response = graphql(
        'mutation { updateItem(name: "Hat") { id } }', headers=bearer_headers(reader)
    )

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Missing scope: items:write"
    assert not Item.objects.exists()


def test_graphql_read_with_items_read_is_allowed(graphql, reader, bearer_headers):
    response = graphql(
        "{ items(first: 5) { edges { node { id } } } }", headers=bearer_headers(reader)
    )

    assert "errors" not in response.json()
