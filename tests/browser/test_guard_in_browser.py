"""The SSRF guard on every request Chromium makes, end to end: the forbidden servers (another
port on 127.0.0.1, and 127.0.0.2) record no connection for a top-level URL, a redirect, an
<img>, an <iframe>, a CSS @import, a fetch() or a WebSocket pointing at them, in any numeric
form or by a name the injected resolver maps to them. Loopback traffic only."""

import pytest

from tests.helpers.browser import FORBIDDEN_NAME, REBINDING_NAME, guard_allowing

pytestmark = pytest.mark.django_db

FORMS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    FORBIDDEN_NAME,
    "localhost",
]
SUB_REQUESTS = ["img", "iframe", "css", "fetch", "websocket"]


def forbidden_url(server, form: str, *, scheme: str = "http", path: str = "/secret") -> str:
    return f"{scheme}://{form}:{server.port}{path}"


def load_and_settle(driver, url: str) -> list[str]:
    """Load `url` in a guarded page, wait until its script says the sub-request settled;
    return what the guard refused."""

    async def work(guarded):
        await guarded.page.goto(url, waitUntil="load")
        await guarded.page.waitForFunction("window.done === true", timeout=10_000)
        return list(guarded.refusals)

    return driver.run_page(work, deadline=20)


@pytest.mark.parametrize("form", FORMS)
def test_top_level_url_is_refused_with_the_reason(
    client, driver, forbidden_server, form, browser_headers
):
    response = client.get(
        "/screenshot", {"url": forbidden_url(forbidden_server, form)}, headers=browser_headers
    )

    assert response.status_code == 400
    assert "loopback" in response.json()["error"]
    assert forbidden_server.hits() == 0


@pytest.mark.parametrize("form", FORMS)
def test_redirect_from_an_allowed_page_is_refused(
    client, driver, allowed_server, forbidden_server, form, browser_headers
):
    redirect = f"{allowed_server.origin}/redirect?to={forbidden_url(forbidden_server, form)}"

    response = client.get("/pdf", {"url": redirect}, headers=browser_headers)

    assert response.status_code == 400, response.content
    assert "loopback" in response.json()["error"]
    assert allowed_server.requests[0].startswith("/redirect")
    assert forbidden_server.hits() == 0


@pytest.mark.parametrize("kind", SUB_REQUESTS)
@pytest.mark.parametrize("form", FORMS)
def test_sub_requests_never_reach_a_forbidden_address(
    driver, allowed_server, forbidden_server, kind, form
):
    scheme = "ws" if kind == "websocket" else "http"
    target = forbidden_url(forbidden_server, form, scheme=scheme)

    load_and_settle(driver, f"{allowed_server.origin}/sub/{kind}?to={target}")

    assert f"/sub/{kind}?to={target}" in allowed_server.requests
    assert forbidden_server.hits() == 0


@pytest.mark.parametrize("kind", SUB_REQUESTS)
def test_the_same_pages_do_reach_the_server_once_it_is_allowed(
    driver, allowed_server, forbidden_server, kind
):
    """The control: proves the page really makes that request, so "no hit" above means
    the guard stopped it."""
    driver.set_guard(guard_allowing(allowed_server, forbidden_server))
    scheme = "ws" if kind == "websocket" else "http"

    load_and_settle(
        driver,
        f"{allowed_server.origin}/sub/{kind}?to="
        f"{forbidden_url(forbidden_server, FORBIDDEN_NAME, scheme=scheme)}",
    )

    assert forbidden_server.hits() >= 1


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "chrome://version",
        "view-source:http://127.0.0.1:{port}/text",
        "data:text/html,<h1>hi</h1>",
    ],
)
def test_non_http_schemes_are_refused(client, driver, allowed_server, url, browser_headers):
    response = client.get(
        "/screenshot", {"url": url.format(port=allowed_server.port)}, headers=browser_headers
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("Only http and https URLs are allowed")
    assert "/text" not in allowed_server.requests  # view-source: did not fetch it either


def test_a_name_rebinding_after_the_check_never_reaches_the_new_address(
    driver, allowed_server, rebinding_target
):
    """rebinding.test answers 127.0.0.1 (allowed port) to the first look-up and 127.0.0.2
    after; Chromium itself would resolve it to 127.0.0.2. The proxy resolves and connects
    to what it checked, so nothing reaches 127.0.0.2."""
    url = f"http://{REBINDING_NAME}:{allowed_server.port}/text"

    async def work(guarded):
        response = await guarded.page.goto(url, waitUntil="load")
        return response.status

    status = driver.run_page(work, deadline=20)

    assert status == 403
    assert rebinding_target.hits() == 0
    assert driver.guard.resolver.rebinding_lookups >= 2  # Fetch then the proxy (+ favicon)
