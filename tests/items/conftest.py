"""Fixtures for the items tests: a second user, items made through the services, a GraphQL
caller, and headless Chromium (tests/chromium.py) for the admin."""

import json

import pytest

from tests.chromium import chromium, chromium_session  # noqa: F401 (fixtures for the admin test)


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def make_item(user):
    """Factory: `make_item(name="x", color="red")` stores an item of `owner` (default: user)."""
    from items.services import item_create

    def make(owner=None, **fields):
        return item_create(owner=owner or user, fields=fields)

    return make


@pytest.fixture
def graphql(client):
    """Factory: `graphql(query, variables=None, headers=None)` POSTs to /graphql."""

    def run(query: str, variables: dict | None = None, headers: dict | None = None):
        payload = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        return client.post(
            "/graphql",
            data=json.dumps(payload),
            content_type="application/json",
            headers=headers or {},
        )

    return run
