"""/openapi.json says what the contract says (docs/contract.md §2.2): its paths and parameter names
exactly as written there, the bodies as they are sent, every endpoint listed, and a
document that is valid OpenAPI 3."""

import pytest

CONTRACT_OPERATIONS = {
    ("/hello", "get"),
    ("/health", "get"),
    ("/login", "post"),
    ("/register", "post"),
    ("/verify", "post"),
    ("/token/refresh", "post"),
    ("/logout", "post"),
    ("/private", "get"),
    ("/password", "post"),
    ("/item", "post"),
    ("/item/{itemId}", "get"),
    ("/item/{itemId}", "post"),
    ("/item/{itemId}", "delete"),
    ("/items", "get"),
    ("/sumArray", "post"),
    ("/sumArray/{arrayId}", "get"),
    ("/wordCount", "post"),
    ("/wordCount/{arrayId}", "get"),
    # Big inputs from a file (docs/pipelines.md): the upload slot, and its body off S3.
    ("/sumArray/uploads", "post"),
    ("/sumArray/uploads/{uploadId}", "put"),
    ("/wordCount/uploads", "post"),
    ("/wordCount/uploads/{uploadId}", "put"),
    ("/scraper", "get"),
    ("/screenshot", "get"),
    ("/pdf", "get"),
    ("/card", "get"),
    # A capture kept with store=1, for its owner, when the media storage is local.
    ("/captures/{captureId}", "get"),
}


@pytest.fixture(scope="module")
def document(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def json_schema(body: dict) -> dict:
    return body["content"]["application/json"]["schema"]


def test_the_document_is_valid_openapi_3(document):
    from openapi_spec_validator import validate

    validate(document)  # raises on any violation of the OpenAPI 3.0 specification
    assert document["openapi"].startswith("3.")


def test_paths_are_exactly_the_contracts_without_trailing_slashes(document):
    operations = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }

    assert operations == CONTRACT_OPERATIONS


def test_path_parameters_are_named_as_in_the_contract(document):
    for path, item in document["paths"].items():
        for operation in item.values():
            in_path = {
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "path"
            }
            assert in_path == {
                name.strip("{}") for name in path.split("/") if name.startswith("{")
            }, path
    assert document["paths"]["/sumArray/{arrayId}"]["get"]["parameters"][0]["name"] == "arrayId"


def test_pipeline_bodies_are_json_arrays(document):
    numbers = document["paths"]["/sumArray"]["post"]["requestBody"]
    texts = document["paths"]["/wordCount"]["post"]["requestBody"]

    assert numbers["required"] is True and texts["required"] is True
    assert json_schema(numbers)["type"] == "array"
    assert json_schema(numbers)["items"] == {"type": "number"}
    assert json_schema(texts)["items"] == {"type": "string"}
    started = json_schema(document["paths"]["/sumArray"]["post"]["responses"]["200"])
    assert started["properties"]["array"]["type"] == "array"
    assert set(document["paths"]["/sumArray/{arrayId}"]["get"]["responses"]) >= {"200", "404"}


def test_every_body_is_required_json(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            if path.endswith("/uploads/{uploadId}"):  # a pipeline's input file (CSV)
                assert list(body["content"]) == ["text/csv"], (method, path)
            elif body is not None:
                assert body["required"] is True, (method, path)
                assert list(body["content"]) == ["application/json"], (method, path)


def test_auth_endpoints_are_public_and_describe_their_errors(document):
    schemes = document["components"]["securitySchemes"]
    for path, errors in (
        ("/login", {"400", "401", "429"}),
        ("/register", {"400"}),
        ("/verify", {"400", "401"}),
        ("/token/refresh", {"400", "401"}),
        ("/logout", {"400", "401"}),
    ):
        operation = document["paths"][path]["post"]
        assert not operation.get("security"), path
        assert set(operation["responses"]) >= errors, path
        assert json_schema(operation["responses"]["400"])["required"] == ["status", "error"]
        assert operation["summary"] and "stale Authorization header" not in operation.get(
            "description", ""
        )
    assert json_schema(document["paths"]["/login"]["post"]["requestBody"])["$ref"].endswith(
        "/CredentialsInput"
    )
    private = document["paths"]["/private"]["get"]
    (requirement,) = private["security"]
    (name,) = requirement
    assert (schemes[name]["type"], schemes[name]["scheme"]) == ("http", "bearer")
    assert "401" in private["responses"]


def test_hello_and_health_are_listed_and_public(document):
    hello = document["paths"]["/hello"]["get"]
    health = document["paths"]["/health"]["get"]

    assert hello["security"] == [] and health["security"] == []
    assert "text/plain" in hello["responses"]["200"]["content"]
    assert [parameter["name"] for parameter in hello["parameters"]] == ["name"]
    assert set(health["responses"]) == {"200", "503"}


def test_an_item_id_that_is_not_a_uuid_is_documented_as_not_found(document):
    item = document["paths"]["/item/{itemId}"]

    assert "404" in item["get"]["responses"] and "404" in item["post"]["responses"]
    assert "400" not in item["get"]["responses"] and "400" not in item["delete"]["responses"]
