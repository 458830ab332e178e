"""Fair page slots (docs/browser.md "Fair page slots"): one user holds at most
BROWSER_PAGES_PER_USER of a process's BROWSER_MAX_PAGES pages; past their share 429, with every
slot busy 503, both with Retry-After, never a queue. The slow page is a loopback page whose
image never finishes, on a server the test allow-lists."""

import threading
import time
from collections.abc import Iterator

import pytest

from browser import services
from tests.browser.conftest import RecordingServer, html_page
from tests.helpers.browser import guard_allowing
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.django_db

DEADLINE_SECONDS = 20


@pytest.fixture
def hanging_server() -> Iterator[RecordingServer]:
    """`/hanging?id=`: a page whose image answers only once the test releases it (a URL of its
    own per page: Chromium's cache lock would hold a second request for the same URL back)."""
    release = threading.Event()
    server = RecordingServer("127.0.0.1")
    server.pages["/hanging"] = lambda q: html_page(
        f'<h1>slow</h1><img src="/never.png?id={q["id"]}">'
    )
    server.pages["/never.png"] = lambda q: (
        release.wait(DEADLINE_SECONDS + 10),
        200,
        {"Content-Type": "image/png", "Cache-Control": "no-store"},
        b"",
    )[1:]
    server.release = release
    yield server
    release.set()
    server.shutdown()


def hold_a_slot(user_id: int, url: str) -> threading.Thread:
    """A user's screenshot of the never-finishing page, in the background (as a request of
    another thread of the same process would)."""

    def screenshot():
        try:
            services.screenshot_take(user_id=user_id, url=url)
        except Exception:  # noqa: S110 (ends with the deadline or the release; not the point)
            pass

    thread = threading.Thread(target=screenshot, daemon=True)
    thread.start()
    return thread


def test_a_slow_users_pages_never_hold_up_another_users_page(
    client,
    driver,
    settings,
    allowed_server,
    hanging_server,
    browser_user,
    browser_headers,
    make_user,
    bearer_headers,
):
    settings.BROWSER_DEADLINE_SECONDS = DEADLINE_SECONDS
    driver.set_guard(guard_allowing(allowed_server, hanging_server))
    assert (driver.slots.total, driver.slots.per_holder) == (2, 1)  # the settings' defaults
    slow_page = f"{hanging_server.origin}/hanging?id="
    holders = []
    try:
        # Given a user whose page never finishes loading
        holders.append(hold_a_slot(browser_user.pk, slow_page + "first"))
        wait_for(lambda: "/never.png?id=first" in hanging_server.requests, timeout=20)

        # When the same user asks for a second page
        started = time.monotonic()
        second = client.get("/screenshot", {"url": slow_page + "second"}, headers=browser_headers)

        # Then it is refused at once: their share is spent
        assert time.monotonic() - started < 2
        assert second.status_code == 429
        assert second.json()["error"].startswith("You already have 1 page(s) open")
        assert 1 <= int(second["Retry-After"]) <= DEADLINE_SECONDS

        # When another user asks for a fast page meanwhile
        started = time.monotonic()
        fast = client.get(
            "/screenshot",
            {"url": f"{allowed_server.origin}/box", "selector": "#box"},
            headers=bearer_headers(make_user("fast-user")),
        )

        # Then it is served without waiting for the slow one
        assert fast.status_code == 200, fast.content
        assert time.monotonic() - started < 5

        # When a third user's slow page takes the other slot
        holders.append(hold_a_slot(make_user("slow-too").pk, slow_page + "third"))
        wait_for(lambda: "/never.png?id=third" in hanging_server.requests, timeout=20)
        started = time.monotonic()
        busy = client.get(
            "/screenshot",
            {"url": f"{allowed_server.origin}/box"},
            headers=bearer_headers(make_user("unlucky")),
        )

        # Then anyone is told at once that every slot is busy, and when to come back
        assert time.monotonic() - started < 2
        assert busy.status_code == 503
        assert busy.json() == {
            "status": "error",
            "error": "Every browser page slot is busy; try again shortly",
        }
        assert 1 <= int(busy["Retry-After"]) <= DEADLINE_SECONDS
    finally:
        hanging_server.release.set()
        for holder in holders:
            holder.join(DEADLINE_SECONDS + 10)

    # and once the slow pages end, their slots are free again
    assert len(driver.slots) == 0
