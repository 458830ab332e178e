"""Every settings module the project ships boots in a fresh process under a real WSGI server
(gunicorn, the workers mode's server) and serves the admin's login page and a static file.

The issue this guards: the local settings' static storage raised a TypeError on every page
that links a static file, with DEBUG on or off, and no test served a page with them.
"""

import json
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from benchmarks.aws_emulator import free_loopback_port
from tests.config.test_stage_secrets import zappa_stage_environment
from tests.helpers import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
GUNICORN = str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn")
BOOT_TIMEOUT_SECONDS = 60
API_GATEWAY_HOST = "abc123.execute-api.us-east-1.amazonaws.com"


def base_environment(tmp_path, settings_module: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": settings_module,
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
    }


def environment_for_local(tmp_path, aws) -> tuple[dict[str, str], dict[str, str]]:
    # DEBUG off, as gunicorn users run it: static files still come from the apps (finders).
    return {
        **base_environment(tmp_path, "config.django.local"),
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
        "DEBUG": "false",
    }, {}


def environment_for_test(tmp_path, aws) -> tuple[dict[str, str], dict[str, str]]:
    return {
        **base_environment(tmp_path, "config.django.test"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
    }, {}


def environment_for_aws(tmp_path, aws) -> tuple[dict[str, str], dict[str, str]]:
    """A stage as Lambda runs it: Zappa's stage variables, the secret in Secrets Manager
    (moto), requests arriving from API Gateway over TLS."""
    prefix = f"handbook-boot-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/dev",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'aws.sqlite3'}",
            }
        ),
    )
    environ = {
        **base_environment(tmp_path, "config.django.aws"),
        **zappa_stage_environment("dev"),
        **aws.environment(),
        "STAGE": "dev",
        "SECRETS_PREFIX": prefix,
        "SECRETS_SOURCE": "aws",
    }
    return environ, {"Host": API_GATEWAY_HOST, "X-Forwarded-Proto": "https"}


SETTINGS_MODULES = {
    "config.django.local": environment_for_local,
    "config.django.test": environment_for_test,
    "config.django.aws": environment_for_aws,
}
# Manifest storages serve what collectstatic wrote; local serves from the apps (finders).
NEEDS_COLLECTSTATIC = {"config.django.test", "config.django.aws"}


def get(url: str, headers: dict[str, str]):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def gunicorn_serving(tmp_path):
    """Factory: gunicorn on a free loopback port with the given environment; stopped after."""
    processes = []

    def start(environ: dict[str, str], headers: dict[str, str]) -> str:
        port = free_loopback_port()
        log = open(tmp_path / "gunicorn.log", "w")  # closed with the process, below
        process = subprocess.Popen(
            [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + BOOT_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                get(f"{base_url}/hello", headers)
                return base_url
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise AssertionError("gunicorn did not answer:\n" + (tmp_path / "gunicorn.log").read_text())

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# The AWS settings' run collects and compresses every static file afresh: minutes, the slow
# second step (README, "Tests").
@pytest.mark.parametrize(
    "settings_module",
    [
        pytest.param(name, marks=pytest.mark.slow) if name == "config.django.aws" else name
        for name in SETTINGS_MODULES
    ],
)
def test_settings_module_serves_the_admin_login_page_and_its_static_files(
    settings_module, tmp_path, aws, gunicorn_serving
):
    # given a fresh process of the module, with the static files its storage expects
    environ, headers = SETTINGS_MODULES[settings_module](tmp_path, aws)
    if settings_module in NEEDS_COLLECTSTATIC:
        collected = subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=PROJECT_ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert collected.returncode == 0, collected.stderr
    base_url = gunicorn_serving(environ, headers)

    # when a browser asks for the admin's login page and the stylesheet it links
    status, _, body = get(f"{base_url}/admin/login/", headers)
    assert status == 200, body.decode(errors="replace")[-2000:]
    stylesheet = next(
        href
        for href in re.findall(r'href="([^"]+\.css)"', body.decode())
        if "/admin/css/base" in href
    )
    css_status, css_headers, css = get(f"{base_url}{stylesheet}", headers)

    # then both are served
    assert stylesheet.startswith("/static/")
    assert css_status == 200
    assert css_headers["Content-Type"].startswith("text/css")
    assert b"body" in css
