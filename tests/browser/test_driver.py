"""The driver: one warm Chromium reused, replaced when it dies, pages always closed, a
deadline per request and a limit on pages open at once."""

import os
import signal
import threading
import time

import pytest

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


def test_pages_open_at_once_are_limited(driver, allowed_server):
    """Three requests on a driver allowing two pages: the third waits for a slot."""
    active, most = 0, 0
    lock = threading.Lock()

    async def work(guarded):
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        await guarded.page.goto(f"{allowed_server.origin}/slow?seconds=0.5")
        with lock:
            active -= 1

    threads = [
        threading.Thread(target=driver.run_page, args=(work,), kwargs={"deadline": 20})
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert most == driver.max_pages == 2


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
