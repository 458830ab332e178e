"""The admin works behind API Gateway's stage prefix: pages, links and static files."""

import re

import pytest

from tests.lambda_events import api_gateway_event


@pytest.mark.django_db
def test_admin_login_page_links_assets_under_the_stage_prefix(dev_lambda):
    response = dev_lambda.http(api_gateway_event("GET", "/admin/login/"))

    assert response.status_code == 200
    assert response.header("Content-Type").startswith("text/html")
    stylesheets = re.findall(r'href="([^"]+\.css)"', response.text)
    assert stylesheets, "the login page links no stylesheet"
    assert all(href.startswith("/dev/static/admin/") for href in stylesheets)
    assert 'action="/dev/admin/login/' in response.text


@pytest.mark.django_db
def test_admin_static_file_is_served_through_lambda(dev_lambda):
    page = dev_lambda.http(api_gateway_event("GET", "/admin/login/"))
    base_css = next(href for href in re.findall(r'href="([^"]+\.css)"', page.text)
                    if "/base." in href)

    response = dev_lambda.http(api_gateway_event("GET", base_css.removeprefix("/dev")))

    assert response.status_code == 200
    assert response.header("Content-Type").startswith("text/css")
    assert b"body" in response.body
    # Hashed names (manifest storage) may be cached forever.
    assert "max-age=315360000" in response.header("Cache-Control")


@pytest.mark.django_db
def test_admin_binary_static_file_survives_base64(dev_lambda, collected_static):
    icon = next((collected_static / "admin" / "img").glob("icon-yes.*.svg"), None) or next(
        (collected_static / "admin" / "img").glob("*.svg"))

    response = dev_lambda.http(api_gateway_event("GET", f"/static/admin/img/{icon.name}"))

    assert response.status_code == 200
    assert response.body == icon.read_bytes()


@pytest.mark.django_db
def test_admin_login_through_lambda_redirects_under_the_stage(dev_lambda, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-password-1")
    login_page = dev_lambda.http(api_gateway_event("GET", "/admin/login/"))
    csrf_cookie = re.search(r"csrftoken=([^;]+)", login_page.header("Set-Cookie")).group(1)
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)

    response = dev_lambda.http(api_gateway_event(
        "POST", "/admin/login/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": "https://abc123.execute-api.us-east-1.amazonaws.com/dev/admin/login/",
        },
        body=f"csrfmiddlewaretoken={csrf_token}&username=boss&password=a-long-password-1"
             "&next=/dev/admin/",
    ))

    assert response.status_code == 302
    assert response.header("Location") == "/dev/admin/"
    assert "sessionid=" in response.header("Set-Cookie")
