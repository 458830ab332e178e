"""Headless Chromium (Debian's /usr/bin/chromium) driven by pyppeteer, for tests.

Reusable by any test area: import the fixture into that area's conftest.py

    from tests.helpers.chromium import chromium  # noqa: F401

and use it synchronously:

    def test_page(chromium, live_server):
        page = chromium.new_page()
        chromium.run(page.goto(live_server.url))
        assert "Welcome" in chromium.run(page.content())

Chromium and pyppeteer write to HOME, TMPDIR and PYPPETEER_HOME; the fixture points all three
into a temporary directory while the browser starts (the process keeps them) and restores
them at once for the rest of the run. pyppeteer never downloads a browser
here (no network): the executable path is always given.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM_EXECUTABLE = os.environ.get("CHROMIUM_EXECUTABLE", "/usr/bin/chromium")

# The flags that work in a container without a user namespace sandbox or a GPU, and keep
# Chromium from reaching the network on its own (updates, sync, first-run pages).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-setuid-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

T = TypeVar("T")


def launch_options(**overrides) -> dict[str, Any]:
    """pyppeteer.launch() keyword arguments for this machine's Chromium."""
    options = {
        "executablePath": CHROMIUM_EXECUTABLE,
        "headless": True,
        "args": list(CHROMIUM_ARGS),
        # pytest owns the signals; pyppeteer's handlers would kill the browser on Ctrl-C late.
        "handleSIGINT": False,
        "handleSIGTERM": False,
        "handleSIGHUP": False,
    }
    options.update(overrides)
    return options


@contextmanager
def isolated_browser_home(directory: Path) -> Iterator[Path]:
    """HOME, TMPDIR and PYPPETEER_HOME inside `directory` for as long as the block runs."""
    names = ("HOME", "TMPDIR", "PYPPETEER_HOME")
    saved = {name: os.environ.get(name) for name in names}
    for name in names:
        path = directory / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    try:
        yield directory
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ChromiumSession:
    """One launched browser and the event loop it lives on; call async pyppeteer APIs with
    `run(...)` from synchronous tests."""

    def __init__(self, **launch_overrides):
        from pyppeteer import launch

        self.loop = asyncio.new_event_loop()
        self.browser = self.run(launch(**launch_options(**launch_overrides)))
        self.pages: list = []

    def run(self, awaitable: Awaitable[T] | Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        """Run a coroutine (or a no-argument coroutine function) to completion."""
        if callable(awaitable) and not asyncio.iscoroutine(awaitable):
            awaitable = awaitable()
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def new_page(self, *, width: int = 1280, height: int = 900):
        page = self.run(self.browser.newPage())
        self.run(page.setViewport({"width": width, "height": height}))
        self.pages.append(page)
        return page

    def close_pages(self) -> None:
        for page in self.pages:
            if not page.isClosed():
                self.run(page.close())
        self.pages.clear()

    def close(self) -> None:
        try:
            self.close_pages()
            self.run(self.browser.close())
        finally:
            # Let pyppeteer's connection tasks finish before the loop goes away.
            pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()


@pytest.fixture(scope="session")
def chromium_session(tmp_path_factory) -> Iterator[ChromiumSession]:
    """One headless Chromium for the whole run (launching costs ~0.3 s)."""
    # The browser process keeps the environment it was started with; the rest of the run
    # gets the real one back at once.
    with isolated_browser_home(tmp_path_factory.mktemp("chromium")):
        session = ChromiumSession()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def chromium(chromium_session) -> Iterator[ChromiumSession]:
    """The shared browser; pages a test opens are closed after it."""
    yield chromium_session
    chromium_session.close_pages()


# --- where a page's requests went ----------------------------------------------------------


def record_requests(page) -> list[str]:
    """The URL of every request the page makes from now on (documents, scripts, styles,
    fetches), in order; the list fills while the page runs."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def off_loopback(urls: list[str]) -> list[str]:
    """The URLs among `urls` that went over the network to a host other than loopback
    (data:, blob: and about: URLs stay in the browser)."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    def is_loopback(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome", "devtools"):
            return True
        host = parts.hostname or ""
        if host == "localhost":
            return True
        try:
            return ip_address(host).is_loopback
        except ValueError:
            return False

    return [url for url in urls if not is_loopback(url)]
