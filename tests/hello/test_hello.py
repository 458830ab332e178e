import pytest

from benchmarks.lambda_events import api_gateway_event


def test_hello_greets_by_name_through_lambda(dev_lambda):
    response = dev_lambda.http(api_gateway_event("GET", "/hello?name=Ann"))

    assert response.status_code == 200
    assert response.text == "Hello Ann 👋"
    assert response.header("Content-Type").startswith("text/plain")


@pytest.mark.parametrize("path", ["/hello", "/hello/", "/hello?name=", "/hello?name=%20"])
def test_hello_without_a_name(dev_lambda, path):
    response = dev_lambda.http(api_gateway_event("GET", path))

    assert response.status_code == 200
    assert response.text == "Hello 👋"


def test_hello_sends_cors_headers_for_any_origin_in_dev(dev_lambda):
    response = dev_lambda.http(
        api_gateway_event("GET", "/hello?name=Ann", headers={"Origin": "https://example.org"})
    )

    assert response.header("Access-Control-Allow-Origin") in ("*", "https://example.org")


def test_cors_preflight_is_answered(client):
    response = client.options(
        "/hello", HTTP_ORIGIN="https://example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] in ("*", "https://example.org")


def test_cors_allows_only_configured_origins_when_not_open(client, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    allowed = client.get("/hello", HTTP_ORIGIN="https://app.example.com")
    refused = client.get("/hello", HTTP_ORIGIN="https://evil.example.net")

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in refused


def test_hello_refuses_post_with_json_405(client):
    response = client.post("/hello")

    assert response.status_code == 405
    assert response.json() == {"status": "error", "error": "Method Not Allowed"}
    assert response["Allow"] == "GET, HEAD"
