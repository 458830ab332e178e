"""Through Zappa's real Lambda handler: binary bodies go back base64 with isBase64Encoded
(API Gateway binary support), errors stay JSON."""

import pytest

from benchmarks.lambda_events import api_gateway_event
from tests.browser.png import decode_png

pytestmark = pytest.mark.django_db


def test_card_png_comes_back_base64_through_the_handler(dev_lambda, driver, browser_headers):
    event = api_gateway_event("GET", "/card?title=Lambda", headers=browser_headers)

    result = dev_lambda.invoke(event)

    assert result["statusCode"] == 200
    assert result["isBase64Encoded"] is True
    response = dev_lambda.http(event)
    assert response.header("Content-Type") == "image/png"
    assert (decode_png(response.body).width, decode_png(response.body).height) == (1200, 630)


def test_pdf_comes_back_base64_through_the_handler(
    dev_lambda, driver, allowed_server, browser_headers
):
    event = api_gateway_event(
        "GET", f"/pdf?url={allowed_server.origin}/text", headers=browser_headers
    )

    result = dev_lambda.invoke(event)

    assert result["isBase64Encoded"] is True
    assert dev_lambda.http(event).body.startswith(b"%PDF")


def test_missing_parameter_is_json_through_the_handler(dev_lambda, browser_headers):
    response = dev_lambda.http(api_gateway_event("GET", "/screenshot", headers=browser_headers))

    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "error": "Please provide a ?search= parameter, or ?url= (optional: ?selector=, ?store=1)",
    }
