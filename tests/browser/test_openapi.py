"""/openapi.json documents every status the browser operations answer (docs/contract.md §2.6),
each with the project's one error schema, and every query parameter they accept."""

import pytest

BROWSER_OPERATIONS = {
    "/scraper": ({400, 401, 403, 429, 502, 503, 504}, {"search", "url", "selector"}),
    "/screenshot": (
        {400, 401, 403, 404, 429, 502, 503, 504},
        {"url", "search", "selector", "store"},
    ),
    "/pdf": ({400, 401, 403, 429, 502, 503, 504}, {"url", "store"}),
    "/card": ({400, 401, 403, 429, 503, 504}, {"title", "subtitle", "store"}),
    "/captures/{captureId}": ({401, 403, 404}, set()),
}


@pytest.fixture(scope="module")
def document(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/openapi.json").json()


@pytest.mark.parametrize("path", sorted(BROWSER_OPERATIONS))
def test_browser_operations_document_their_statuses_and_parameters(document, path):
    statuses, parameters = BROWSER_OPERATIONS[path]
    operation = document["paths"][path]["get"]

    errors = {int(code) for code in operation["responses"] if int(code) >= 400}
    assert errors == statuses
    for code in errors:
        schema = operation["responses"][str(code)]["content"]["application/json"]["schema"]
        assert schema["required"] == ["status", "error"], code
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert query == parameters


def test_the_slot_statuses_say_retry_after(document):
    responses = document["paths"]["/screenshot"]["get"]["responses"]

    assert "Retry-After" in responses["429"]["description"]
    assert "Retry-After" in responses["503"]["description"]
    assert "BROWSER_PAGES_PER_USER" in responses["429"]["description"]
