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
    # The array itself, or {"upload": "<uploadId>"} for an uploaded file (§2.5).
    numbers_array, numbers_upload = json_schema(numbers)["oneOf"]
    texts_array, texts_upload = json_schema(texts)["oneOf"]
    assert numbers_array["type"] == "array"
    assert numbers_array["items"] == {"type": "number"}
    assert texts_array["items"] == {"type": "string"}
    for upload in (numbers_upload, texts_upload):
        assert (upload["required"], upload["additionalProperties"]) == (["upload"], False)
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


def test_every_operation_documents_the_errors_its_kind_answers(document):
    """401 with a token, 403 with a scope, 400 and 413 with a body, in the one error shape
    (docs/contract.md §2); config.api_docs_hooks adds them from the view itself."""
    error_schema = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            expected = set()
            if operation.get("security"):
                expected |= {"401", "403"} if path not in ("/private", "/password") else {"401"}
            if operation.get("requestBody"):
                expected |= {"400", "413"}
            assert expected <= set(operation["responses"]), (method, path)
            for status in expected:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"]["required"] == ["status", "error"], (method, path)
    assert "StorableJsonValue" in error_schema


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/sumArray", "post", {"400", "404", "409", "413", "429"}),
        ("/sumArray/uploads", "post", {"429"}),
        ("/card", "get", {"400", "503", "504"}),
        ("/screenshot", "get", {"400", "404", "502", "503", "504"}),
        ("/password", "post", {"400", "429"}),
        ("/register", "post", {"400", "429"}),
        ("/item", "post", {"429"}),
    ],
)
def test_operations_document_their_own_errors(document, path, method, statuses):
    assert statuses <= set(document["paths"][path][method]["responses"])


def test_429_is_documented_where_a_budget_counts_the_method(document):
    # Item writes count POST and DELETE, never reads; the browser's throttle counts every GET.
    responses = {
        (path, method): set(operation["responses"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert "429" not in responses["/items", "get"] | responses["/item/{itemId}", "get"]
    assert "429" in responses["/item/{itemId}", "delete"] & responses["/card", "get"]


def test_string_constraints_match_the_validators(document):
    schemas = document["components"]["schemas"]
    for name, field in (
        ("CredentialsInput", "username"),
        ("CredentialsInput", "password"),
        ("TokenInput", "token"),
        ("RefreshInput", "refresh"),
        ("PasswordChangeInput", "old"),
        ("PasswordChangeInput", "new"),
    ):
        assert schemas[name]["properties"][field]["minLength"] == 1, (name, field)
    assert schemas["RegisterInput"]["properties"]["username"]["pattern"] == "^[\\w.@+-]+$"
    card = {p["name"]: p for p in document["paths"]["/card"]["get"]["parameters"]}
    assert card["title"]["required"] is True
    items = {p["name"]: p for p in document["paths"]["/items"]["get"]["parameters"]}
    assert items["cursor"]["schema"]["pattern"] == "^[A-Za-z0-9_-]*$"
    item_id = document["paths"]["/item/{itemId}"]["get"]["parameters"][0]
    assert "format" not in item_id["schema"]  # any text: one not ours is an unknown item
