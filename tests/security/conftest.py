"""Fixtures of the security tests."""

import json

import pytest


@pytest.fixture
def graphql(client):
    """Factory: `graphql(query)` POSTs an anonymous query to /graphql (test settings)."""

    def run(query: str):
        return client.post(
            "/graphql", data=json.dumps({"query": query}), content_type="application/json"
        )

    return run
