"""The driver: one warm Chromium reused, replaced when it dies, pages always closed, a
deadline per request and a limit on pages open at once."""

import asyncio
import os
import signal
import threading
import time

import pytest

from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.django_db


def open_pages(driver) -> int:
    async def count():
        return len(await (await driver.browser()).pages())

    return driver.call(count, deadline=10)


def test_requests_reuse_one_browser_and_close_their_pages(
    client, driver, allowed_server, browser_headers
):
    launches, pages_before = driver.launches, open_pages(driver)

    for _ in range(5):
        response = client.get(
            "/screenshot", {"url": f"{allowed_server.origin}/box"}, headers=browser_headers
        )
        assert response.status_code == 200

    assert driver.launches == launches
    assert open_pages(driver) == pages_before


def test_a_killed_chromium_is_replaced_on_the_next_request(
    client, driver, allowed_server, browser_headers
):
    old_pid, launches = driver.process_id(), driver.launches
    os.kill(old_pid, signal.SIGKILL)
    time.sleep(0.2)

    response = client.get(
        "/scraper",
        {"url": f"{allowed_server.origin}/results", "selector": ".title"},
        headers=browser_headers,
    )

    assert response.status_code == 200, response.content
    assert len(response.json()) == 2
    assert driver.launches == launches + 1
    assert driver.process_id() not in (None, old_pid)


def test_a_page_past_the_deadline_is_504_and_closed(
    client, driver, allowed_server, browser_headers, settings
):
    settings.BROWSER_DEADLINE_SECONDS = 1
    pages_before = open_pages(driver)

    response = client.get(
        "/screenshot", {"url": f"{allowed_server.origin}/slow?seconds=3"}, headers=browser_headers
    )

    assert response.status_code == 504
    assert response.json() == {
        "status": "error",
        "error": "The page did not finish within 1 seconds",
    }
    assert open_pages(driver) == pages_before


def test_pages_open_at_once_are_limited_and_the_next_is_refused_not_queued(driver, allowed_server):
    """Three requests on a driver allowing two pages: the third is refused at once."""
    from browser.errors import PageSlotsBusy

    both_open = threading.Barrier(3)

    async def work(guarded):
        await guarded.page.goto(f"{allowed_server.origin}/text")
        # Off the loop: the pages hold their slots until the third request was answered.
        await asyncio.get_running_loop().run_in_executor(None, both_open.wait, 20)

    threads = [
        threading.Thread(target=driver.run_page, args=(work,), kwargs={"deadline": 30})
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(driver.slots) == 2, timeout=20)

    started = time.monotonic()
    with pytest.raises(PageSlotsBusy) as busy:
        driver.run_page(work, deadline=30)
    refused_after = time.monotonic() - started
    both_open.wait(20)
    for thread in threads:
        thread.join(30)

    assert driver.slots.total == 2
    assert refused_after < 1
    assert 1 <= busy.value.retry_after_seconds <= 30


def test_a_refused_sub_request_leaves_the_page_usable(
    client, driver, allowed_server, forbidden_server, browser_headers
):
    page = f"{allowed_server.origin}/sub/img?to={forbidden_server.origin}/pixel.png"

    response = client.get("/scraper", {"url": page, "selector": "#probe"}, headers=browser_headers)

    assert response.status_code == 200
    assert response.json() == [{"text": "", "url": None}]
    assert forbidden_server.hits() == 0


def test_the_browser_is_recycled_after_its_page_budget(driver, allowed_server):
    async def visit(guarded):
        await guarded.page.goto(f"{allowed_server.origin}/text")

    driver.recycle_after_pages = 3
    try:
        driver.run_page(visit, deadline=20)  # a fresh count starts with a fresh browser
        pid, launches = driver.process_id(), driver.launches
        for _ in range(3):
            driver.run_page(visit, deadline=20)
        recycled_pid = driver.process_id()
    finally:
        driver.recycle_after_pages = 0

    assert driver.launches == launches + 1
    assert recycled_pid != pid
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
