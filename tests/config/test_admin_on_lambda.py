"""The admin works behind API Gateway's stage prefix: pages, links and static files."""

import json
import os
import re
import secrets
import subprocess
import sys
import uuid

import pytest

from benchmarks.lambda_events import api_gateway_event
from tests.config.test_stage_secrets import zappa_stage_environment
from tests.helpers import PROJECT_ROOT


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
    base_css = next(
        href for href in re.findall(r'href="([^"]+\.css)"', page.text) if "/base." in href
    )

    response = dev_lambda.http(api_gateway_event("GET", base_css.removeprefix("/dev")))

    assert response.status_code == 200
    assert response.header("Content-Type").startswith("text/css")
    assert b"body" in response.body
    # Hashed names (manifest storage) may be cached forever.
    assert "max-age=315360000" in response.header("Cache-Control")


@pytest.mark.django_db
def test_admin_binary_static_file_survives_base64(dev_lambda, collected_static):
    icon = next((collected_static / "admin" / "img").glob("icon-yes.*.svg"), None) or next(
        (collected_static / "admin" / "img").glob("*.svg")
    )

    response = dev_lambda.http(api_gateway_event("GET", f"/static/admin/img/{icon.name}"))

    assert response.status_code == 200
    assert response.body == icon.read_bytes()


@pytest.mark.django_db
def test_admin_login_through_lambda_redirects_under_the_stage(dev_lambda, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-password-1")
    login_page = dev_lambda.http(api_gateway_event("GET", "/admin/login/"))
    csrf_cookie = re.search(r"csrftoken=([^;]+)", login_page.header("Set-Cookie")).group(1)
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)

    response = dev_lambda.http(
        api_gateway_event(
            "POST",
            "/admin/login/",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Referer": "https://abc123.execute-api.us-east-1.amazonaws.com/dev/admin/login/",
            },
            body=f"csrfmiddlewaretoken={csrf_token}&username=boss&password=a-long-password-1"
            "&next=/dev/admin/",
        )
    )

    assert response.status_code == 302
    assert response.header("Location") == "/dev/admin/"
    assert "sessionid=" in response.header("Set-Cookie")


# --- the deployed settings (config.django.aws), a cold process, as Lambda runs it ------------


def aws_stage_lambda(aws, tmp_path):
    """Factory: answer one API Gateway event in a fresh process through Zappa's handler with
    config.django.aws, its secret in Secrets Manager (moto) and the static files collected
    the way scripts/zappa does before packaging."""
    prefix = f"handbook-admin-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/dev",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'lambda.sqlite3'}",
            }
        ),
    )
    static_root = str(tmp_path / "staticfiles")
    base = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
        "STATIC_ROOT": static_root,
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT_ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.django.aws",
            "STAGE": "dev",
            "SECRETS_SOURCE": "env",
            "SECRET_KEY": "collectstatic-only",
            "JWT_SIGNING_KEY": "collectstatic-only",
            "DATABASE_URL": "sqlite://",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    stage_environment = {
        **zappa_stage_environment("dev"),
        "SECRETS_PREFIX": prefix,
        "STATIC_ROOT": static_root,
    }

    def answer(event: dict) -> dict:
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.zappa_lambda",
                "dev",
                "config.django.aws",
                json.dumps(event),
            ],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **base,
                **aws.environment(),
                "ZAPPA_STAGE_OVERRIDES": json.dumps({"environment_variables": stage_environment}),
            },
        )
        assert process.returncode == 0, process.stderr
        return json.loads(process.stdout.strip().splitlines()[-1])

    return answer


@pytest.mark.slow  # collectstatic and a cold AWS-settings process: minutes (README, "Tests")
def test_aws_settings_serve_the_admin_and_its_static_files_under_the_stage(aws, tmp_path):
    # given a cold Lambda process with the deployed settings, behind API Gateway's /dev
    answer = aws_stage_lambda(aws, tmp_path)

    # when a browser opens the admin's login page, then the stylesheet it links
    page = answer(api_gateway_event("GET", "/admin/login/"))
    assert page["statusCode"] == 200, page["body"][-2000:]
    base_css = next(
        href
        for href in re.findall(r'href="([^"]+\.css)"', page["body"])
        if "/admin/css/base." in href
    )
    stylesheet = answer(api_gateway_event("GET", base_css.removeprefix("/dev")))

    # then the page links it under the stage, and WhiteNoise serves its hashed name
    assert base_css.startswith("/dev/static/admin/css/base.")
    assert 'action="/dev/admin/login/' in page["body"]
    assert stylesheet["statusCode"] == 200
    assert stylesheet["headers"]["Content-Type"].startswith("text/css")
    assert "body" in stylesheet["body"]
