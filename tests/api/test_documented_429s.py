"""The 429s are answers the document lists (docs/contract.md §2.2, §2.4-§2.6): each budget
driven past its end in process, and the refusal validated against /openapi.json by
schemathesis (status, content type, body schema), with Retry-After. The CLI run
(test_openapi_conformance.py) raises every budget, so the 429s are checked here."""

import pytest
import schemathesis
from schemathesis import checks

from items.access_rules import ITEM_WRITES
from pipelines.access_rules import PIPELINE_RUNS

DOCUMENTED = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
GOOD_PASSWORD = "a-Long-pass-9471"


pytestmark = pytest.mark.usefixtures("wsgi_requests_share_the_test_transaction")


@pytest.fixture
def schema():
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def one_of_each(settings):
    settings.RATE_LIMITS = {ITEM_WRITES: "1/minute", PIPELINE_RUNS: "1/minute"}
    settings.BROWSER_THROTTLE_RATE = "1/minute"
    settings.LOGIN_FAILURES_PER_USERNAME = 1
    settings.REGISTRATIONS_PER_ADDRESS = 1


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()  # DRF's browser throttle counts in the cache
    yield
    cache.clear()


def call_twice(schema, path: str, method: str, headers: dict, **case_fields):
    case = schema[path][method].Case(**case_fields)
    case.call(headers=headers)
    return case, case.call(headers=headers)


def assert_documented_429(case, response):
    assert response.status_code == 429, response.text
    case.validate_response(response, checks=DOCUMENTED)
    assert int(response.headers["retry-after"][0]) >= 1
    assert response.json()["status"] == "error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method", "case_fields"),
    [
        ("/item", "POST", {"body": {"name": "n"}}),
        ("/item/{itemId}", "DELETE", {"path_parameters": {"itemId": "not-an-item"}}),
        ("/sumArray", "POST", {"body": [1]}),
        ("/wordCount", "POST", {"body": ["a b"]}),
        ("/sumArray/uploads", "POST", {}),
        ("/wordCount/uploads", "POST", {}),
        # The throttle counts before the handler runs: no title is a 400, then a 429.
        ("/card", "GET", {"query": {}}),
    ],
)
def test_per_user_budgets_answer_a_documented_429(schema, auth_headers, path, method, case_fields):
    case, response = call_twice(schema, path, method, auth_headers, **case_fields)

    assert_documented_429(case, response)


@pytest.mark.django_db
def test_failed_logins_answer_a_documented_429(schema, make_user):
    make_user("locked")
    body = {"username": "locked", "password": "wrong-password"}

    case, response = call_twice(schema, "/login", "POST", {}, body=body)

    assert_documented_429(case, response)


@pytest.mark.django_db
def test_registrations_answer_a_documented_429(schema):
    # Counted per client address (werkzeug's test client sends none unless told).
    address = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    first = schema["/register"]["POST"].Case(body={"username": "first", "password": GOOD_PASSWORD})
    assert first.call(**address).status_code == 201
    case = schema["/register"]["POST"].Case(body={"username": "second", "password": GOOD_PASSWORD})

    assert_documented_429(case, case.call(**address))


@pytest.mark.django_db
def test_failed_password_changes_answer_a_documented_429(schema, auth_headers):
    body = {"old": "not-the-password", "new": GOOD_PASSWORD}

    case, response = call_twice(schema, "/password", "POST", auth_headers, body=body)

    assert_documented_429(case, response)
