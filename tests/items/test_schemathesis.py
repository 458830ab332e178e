"""Property-based tests of the items API against its own descriptions: /openapi.json for
REST and the introspected schema for /graphql. Fixed seed, so a run is reproducible.

REST checks: no server error, and status codes, content types, headers and bodies as
documented, for valid and invalid requests; valid data accepted. GraphQL: no server error, always
a JSON GraphQL answer.

Each operation is driven with hypothesis directly: schemathesis 4.32.5's pytest integration
(`from_fixture`) reads `request.node._nodeid`, which pytest 9 no longer has."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode, checks

# Long: the second step of CI, `scripts/test -m slow` (README, "Tests").
pytestmark = pytest.mark.slow

SEED = 20261126
EXAMPLES_PER_OPERATION_AND_MODE = 60
GRAPHQL_EXAMPLES_PER_OPERATION = 60

REST_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.positive_data_acceptance,
]
# Not negative_data_rejection: it wants unknown query parameters refused, and the API (like
# most) ignores them. Negative examples still must get documented answers, never a 5xx.


def hypothesis_settings(max_examples: int):
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


pytestmark = pytest.mark.usefixtures("wsgi_requests_share_the_test_transaction")


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """Hundreds of generated writes within a minute: the per-user limits (their own tests are
    tests/accounts/test_rate_limits.py) would rightly answer 429 to valid data."""
    settings.RATE_LIMITS = {}


@pytest.fixture
def wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def storable(value) -> bool:
    """What the document's prose excludes from valid items and OAS 3.0 cannot express for
    nested values and keys: NUL characters and unpaired surrogates (Postgres cannot store
    them; the API answers 400)."""
    from items.inputs import UnstorableJson, check_storable_json

    try:
        check_storable_json(value, max_depth=64)
    except UnstorableJson:
        return False
    return True


def run_operation(operation, mode, max_examples, check_case):
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        # A cursor is opaque: only one the API issued is valid, so generated ones are not.
        strategy = strategy.filter(
            lambda case: storable(case.body) and not (case.query or {}).get("cursor")
        )

    @seed(SEED)
    @hypothesis_settings(max_examples)
    @given(case=strategy)
    def run(case):
        check_case(case)

    run()


@pytest.mark.django_db
def test_rest_api_matches_its_openapi_document(wsgi_app, auth_headers, make_item):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app)
    items_operations = [
        operation
        for operation in operations(schema)
        if operation.path in ("/item", "/item/{itemId}", "/items")
    ]
    assert {operation.label for operation in items_operations} == {
        "POST /item",
        "GET /item/{itemId}",
        "POST /item/{itemId}",
        "DELETE /item/{itemId}",
        "GET /items",
    }
    make_item(name="existing")

    def check(case):
        case.call_and_validate(headers=auth_headers, checks=REST_CHECKS)

    for operation in items_operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, EXAMPLES_PER_OPERATION_AND_MODE, check)


@pytest.mark.django_db
def test_pipelines_api_matches_its_openapi_document(wsgi_app, auth_headers):
    """No 500 and documented answers for generated /sumArray and /wordCount requests (runs
    are stored but never queued: the test transaction does not commit)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app)
    pipeline_operations = [
        operation
        for operation in operations(schema)
        if operation.path.startswith(("/sumArray", "/wordCount"))
    ]
    assert {operation.label for operation in pipeline_operations} == {
        "POST /sumArray",
        "GET /sumArray/{arrayId}",
        "POST /wordCount",
        "GET /wordCount/{arrayId}",
        # Big inputs (docs/pipelines.md): an upload slot, and its file body off S3.
        "POST /sumArray/uploads",
        "PUT /sumArray/uploads/{uploadId}",
        "POST /wordCount/uploads",
        "PUT /wordCount/uploads/{uploadId}",
    }

    def check(case):
        case.call_and_validate(headers=auth_headers, checks=REST_CHECKS)

    for operation in pipeline_operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, EXAMPLES_PER_OPERATION_AND_MODE // 2, check)


@pytest.mark.django_db
def test_graphql_api_never_fails_on_generated_queries(wsgi_app, auth_headers, make_item):
    schema = schemathesis.graphql.from_wsgi("/graphql", wsgi_app)
    graphql_operations = operations(schema)
    assert {operation.label for operation in graphql_operations} >= {
        "Query.item",
        "Query.items",
        "Mutation.updateItem",
        "Mutation.deleteItem",
    }
    make_item(name="existing")
    answered = []

    def check(case):
        response = case.call(headers=auth_headers)
        assert response.status_code < 500, response.text
        headers = {name.lower(): values for name, values in response.headers.items()}
        assert headers["content-type"][0].startswith("application/json")
        payload = response.json()
        assert "data" in payload or payload.get("errors"), payload
        answered.append(response.status_code)

    for operation in graphql_operations:
        run_operation(operation, GenerationMode.POSITIVE, GRAPHQL_EXAMPLES_PER_OPERATION, check)
    assert 200 in answered
