"""/docs: Swagger UI served with the app's own assets (drf-spectacular-sidecar), driven in
real headless Chromium. The page shows the API's operations and asks nothing of any host
but the app's own (no CDN, no validator.swagger.io)."""

import ipaddress
from urllib.parse import urlsplit

import pytest

from tests.helpers.chromium import CHROMIUM_ARGS, ChromiumSession, isolated_browser_home

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """A browser of its own that cannot resolve any host but the loopback ones: should the
    page ever ask a CDN, the request fails inside Chromium (and the test sees it) instead
    of leaving the machine."""
    offline = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
    with isolated_browser_home(tmp_path_factory.mktemp("chromium-offline")):
        session = ChromiumSession(args=[*CHROMIUM_ARGS, offline])
    try:
        yield session
    finally:
        session.close()


def stays_on_this_machine(url: str) -> bool:
    """A request to a loopback host, or an inline data:/blob: resource (no network)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def test_docs_page_renders_the_operations_from_the_apps_own_assets(chromium, live_server, settings):
    # Given static files found in the apps, as in local development (live_server's static
    # handler cannot resolve the manifest's hashed names)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # and a browser that records every request the page makes
    page = chromium.new_page()
    requested, failed, statuses = [], [], {}
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: statuses.__setitem__(response.url, response.status))

    # When /docs is opened and Swagger UI has drawn the document
    chromium.run(page.goto(f"{live_server.url}/docs", {"waitUntil": "networkidle0"}))
    chromium.run(page.waitForSelector(".opblock-summary-path", {"timeout": 15_000}))
    shown = chromium.run(
        page.querySelectorAllEval(
            ".opblock-summary-path", "nodes => nodes.map(node => node.dataset.path)"
        )
    )
    title = chromium.run(page.querySelectorEval(".info .title", "node => node.textContent"))
    styled = chromium.run(
        page.evaluate(
            "() => getComputedStyle(document.querySelector('.swagger-ui .opblock')).borderRadius"
        )
    )

    # Then every operation is shown, styled by the sidecar's CSS, and every request went to
    # the app itself (the document, the sidecar's static files) and succeeded
    assert {
        "/item",
        "/item/{itemId}",
        "/items",
        "/sumArray",
        "/sumArray/{arrayId}",
        "/wordCount",
        "/hello",
        "/health",
        "/login",
    } <= set(shown)
    assert "Serverless Handbook API" in title
    assert styled not in ("", "0px")
    assert requested and [url for url in requested if not stays_on_this_machine(url)] == []
    assert not failed, failed
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requested)
    assert any(urlsplit(url).path == "/openapi.json" for url in requested)
    assert all(status < 400 for status in statuses.values()), statuses


def test_docs_is_loaded_lazily_like_openapi_json():
    """A cold start (Lambda) imports no OpenAPI generator or Swagger view for the URLconf
    (the sidecar app itself is only an AppConfig)."""
    import os
    import subprocess
    import sys

    probe = (
        "import django, sys; django.setup(); import config.urls; "
        "print(sorted(name for name in sys.modules if name.startswith("
        "('drf_spectacular.views', 'drf_spectacular.generators'))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.django.test"},
    )

    assert completed.stdout.strip() == "[]", completed.stdout
