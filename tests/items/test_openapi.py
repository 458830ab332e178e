"""The OpenAPI document describes the items API as the server behaves (schemathesis checks
the behaviour against it; this checks the document says the important things)."""

import pytest


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_items_operation_is_described_and_secured(document):
    paths = document["paths"]
    operations = {
        (path, method)
        for path, item in paths.items()
        for method in item
        if path in ("/item", "/item/{itemId}", "/items")
    }

    assert operations == {
        ("/item", "post"),
        ("/item/{itemId}", "get"),
        ("/item/{itemId}", "post"),
        ("/item/{itemId}", "delete"),
        ("/items", "get"),
    }
    schemes = document["components"]["securitySchemes"]
    for path, method in operations:
        operation = paths[path][method]
        assert operation["security"], f"{method} {path} is not secured"
        for requirement in operation["security"]:
            for name in requirement:
                assert (schemes[name]["type"], schemes[name]["scheme"]) == ("http", "bearer")
        assert "401" in operation["responses"]


def test_bodies_are_required_objects_with_size_and_parse_errors(document):
    for path in ("/item", "/item/{itemId}"):
        operation = document["paths"][path]["post"]
        body = operation["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        # any JSON value, whose strings hold no NUL (PostgreSQL's jsonb cannot store one)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] == {"$ref": "#/components/schemas/StorableJsonValue"}
        assert {"400", "413"} <= set(operation["responses"])


def test_item_shape_has_the_server_fields(document):
    item = document["paths"]["/item/{itemId}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]["item"]

    assert item["required"] == ["itemId", "createdAt", "lastUpdatedAt"]
    assert item["properties"]["itemId"]["format"] == "uuid"
    assert item["properties"]["createdAt"]["format"] == "date-time"
    deleted = document["paths"]["/item/{itemId}"]["delete"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]["itemWas"]
    assert deleted["nullable"] is True
