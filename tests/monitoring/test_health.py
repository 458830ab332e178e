import pytest
from django.db import connection

from tests.lambda_events import api_gateway_event


@pytest.mark.django_db
def test_health_reports_database_ok_through_lambda(dev_lambda):
    response = dev_lambda.http(api_gateway_event("GET", "/health"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_health_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    # The database driver is the third party here: make its connection fail.
    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "error: OperationalError"


@pytest.mark.django_db
def test_responses_carry_the_lambda_request_id(dev_lambda):
    from tests.zappa_lambda import LambdaContext, decode_api_gateway_response

    context = LambdaContext(aws_request_id="req-1234")
    result = dev_lambda.invoke(api_gateway_event("GET", "/health"), context)

    assert decode_api_gateway_response(result).header("X-Request-Id") == "req-1234"
