"""Every error under the API's paths is JSON, whatever raised it (docs/contract.md §2)."""

import pytest
from django.test import override_settings
from django.urls import path

from benchmarks.lambda_events import api_gateway_event


def exploding_view(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("explode", exploding_view)]


def test_unknown_path_is_a_json_404_through_lambda(dev_lambda):
    response = dev_lambda.http(api_gateway_event("POST", "/no/such/thing", json_body={}))

    assert response.status_code == 404
    assert response.json() == {"status": "error", "error": "Not found"}


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_path_is_json_also_with_debug_on(client, settings, debug):
    settings.DEBUG = debug

    response = client.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_server_error_is_json_without_a_stack_trace(client):
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/explode")

    assert response.status_code == 500
    assert response.json() == {"status": "error", "error": "Internal server error"}
    assert "secret internals" not in response.content.decode()


def test_server_error_shows_the_trace_only_with_debug(client, settings):
    settings.DEBUG = True
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/explode")

    assert response.status_code == 500
    assert "secret internals" in "".join(response.json()["traceback"])


def test_disallowed_host_is_a_json_400(client, settings):
    settings.ALLOWED_HOSTS = ["good.example.com"]

    response = client.get("/hello", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_admin_keeps_html_pages(client):
    response = client.get("/admin/no-such-page/")

    assert response["Content-Type"].startswith("text/html")
