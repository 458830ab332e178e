"""`GET /` (docs/contract.md §2.7): an index for browsers and a JSON one for clients."""

import pytest
from django.urls import get_script_prefix, set_script_prefix


@pytest.fixture(autouse=True)
def no_stage_prefix():
    """Django's test client leaves the thread's script prefix alone, and the Zappa handler
    tests leave it at their stage's (/dev)."""
    saved = get_script_prefix()
    set_script_prefix("/")
    yield
    set_script_prefix(saved)


def test_a_browser_gets_a_page_linking_docs_graphql_and_the_admin(client):
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for path in ("/docs", "/openapi.json", "/graphql", "/admin/", "/health"):
        assert f'<a href="{path}">' in page


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_a_client_gets_the_links_as_json(client, accept):
    response = client.get("/", headers={"Accept": accept} if accept else {})

    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "links": {
            "docs": "/docs",
            "openapi": "/openapi.json",
            "graphql": "/graphql",
            "admin": "/admin/",
            "health": "/health",
        },
    }


def test_only_reads_are_answered(client):
    response = client.post("/")

    assert response.status_code == 405
    assert response.json()["status"] == "error"
