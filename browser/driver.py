"""The one module that runs Chromium (pyppeteer today; a move to another CDP client touches
this file and browser/page_guard.py).

One warm browser per process, reused across requests: launching is most of the book's 10 s
screenshot. pyppeteer is asyncio and Django views are sync, so the browser lives on one
background event-loop thread per process and views submit coroutines to it. Each request
gets its own page (closed in `finally`), a deadline, a slot among `max_pages` of which one user
holds at most `pages_per_user` (browser/page_slots.py: refused at once, never queued), and the
SSRF guard on every request the page makes (CDP `Fetch`). A browser that crashed or
disconnected is replaced on the next request.
"""

import asyncio
import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from django.conf import settings

from browser.chromium_builds import BASE_ARGS, chromium_build_options
from browser.errors import BrowserDeadlineExceeded
from browser.page_guard import GuardedPage, close_page, install_guard
from browser.page_slots import PageSlots
from browser.proxy import FilteringProxy
from browser.ssrf import UrlGuard

logger = logging.getLogger(__name__)
T = TypeVar("T")


class BrowserDriver:
    """One Chromium per process, driven from a background event loop."""

    def __init__(
        self,
        *,
        executable: str,
        guard: UrlGuard,
        max_pages: int = 2,
        pages_per_user: int = 1,
        extra_args: list[str] | None = None,
        viewport: dict | None = None,
        environment: dict[str, str] | None = None,
        recycle_after_pages: int = 0,
    ):
        self.executable = executable
        self.environment = dict(environment or {})
        self.guard = guard
        self.slots = PageSlots(total=max_pages, per_holder=pages_per_user)
        self.extra_args = list(extra_args or [])
        self.viewport = viewport or {"width": 1280, "height": 900}
        self.launches = 0
        # Relaunch after this many pages (0: never): the single-process Lambda build keeps memory
        # that closed pages used (docs/browser.md, benchmarks/browser_warm.py).
        self.recycle_after_pages = recycle_after_pages
        self._pages_since_launch = 0
        self._open_pages = 0
        self.proxy = FilteringProxy(guard)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._browser = None
        self._disconnected = False
        self._profile_dir: str | None = None
        self._launch_lock: asyncio.Lock | None = None

    def set_guard(self, guard: UrlGuard) -> UrlGuard:
        """Use another guard from the next request on (for pages and the proxy); returns the
        previous one."""
        previous, self.guard = self.guard, guard
        self.proxy.guard = guard
        return previous

    # --- the background loop ------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve():
                    asyncio.set_event_loop(loop)
                    self._launch_lock = asyncio.Lock()
                    ready.set()
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name="browser-loop", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
                atexit.register(self.shutdown)
        return self._loop

    def call(self, work: Callable[[], Awaitable[T]], *, deadline: float) -> T:
        """Run `work()` on the browser's loop from sync code, within `deadline` seconds."""
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(work(), deadline), loop)
        try:
            return future.result(deadline + 5)
        except TimeoutError:
            future.cancel()
            raise BrowserDeadlineExceeded(
                f"The page did not finish within {deadline:g} seconds"
            ) from None

    # --- the browser ----------------------------------------------------------------------

    def _alive(self) -> bool:
        if self._browser is None or self._disconnected:
            return False
        process = self._browser.process
        return process is None or process.poll() is None

    async def browser(self):
        """The warm browser, (re)launched when missing, crashed or disconnected."""
        async with self._launch_lock:
            if (
                self._alive()
                and self.recycle_after_pages
                and self._open_pages == 0
                and self._pages_since_launch >= self.recycle_after_pages
            ):
                logger.info("Recycling Chromium after %d pages", self._pages_since_launch)
                await self._discard()
            if not self._alive():
                await self._discard()
                self._browser = await self._launch()
                self._pages_since_launch = 0
            return self._browser

    async def _launch(self):
        # pyppeteer (and websockets, pyee) load on the first browser request, never at start-up.
        from pyppeteer import launch

        if self.proxy.port is None:
            await self.proxy.start()
        # Every connection goes through the filtering proxy, loopback included (Chromium
        # exempts loopback from proxies unless told "<-loopback>").
        proxy_args = [
            f"--proxy-server=http://127.0.0.1:{self.proxy.port}",
            "--proxy-bypass-list=<-loopback>",
        ]
        self._profile_dir = tempfile.mkdtemp(prefix="browser-profile-")
        home = os.path.join(self._profile_dir, "home")
        os.makedirs(home, exist_ok=True)
        environment = {**os.environ, **self.environment, "HOME": home}
        browser = await launch(
            executablePath=self.executable,
            headless=True,
            args=[*BASE_ARGS, *proxy_args, *self.extra_args],
            userDataDir=self._profile_dir,
            env=environment,
            autoClose=False,
            defaultViewport=self.viewport,
            handleSIGINT=False,
            handleSIGTERM=False,
            handleSIGHUP=False,
        )
        self._disconnected = False
        browser.on("disconnected", self._on_disconnected)
        self.launches += 1
        logger.info("Chromium launched (%s), launch #%d", self.executable, self.launches)
        return browser

    def _on_disconnected(self, *args) -> None:
        self._disconnected = True

    async def _discard(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            process = browser.process
            try:
                await asyncio.wait_for(browser.close(), 5)
            except Exception as error:  # a dead browser cannot close itself
                logger.info("Closing the old browser failed: %s", error)
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(5)
        if self._profile_dir:
            shutil.rmtree(self._profile_dir, ignore_errors=True)
            self._profile_dir = None

    def process_id(self) -> int | None:
        """The running Chromium's process id (tests kill it to check replacement)."""
        browser = self._browser
        return browser.process.pid if browser is not None and browser.process else None

    # --- pages ----------------------------------------------------------------------------

    async def with_page(
        self,
        work: Callable[[GuardedPage], Awaitable[T]],
        *,
        holder: Hashable | None = None,
        deadline: float,
    ) -> T:
        """Open a guarded page in a free slot of `holder`'s (PageShareSpent or PageSlotsBusy
        at once when there is none), run `work(page)`, close the page whatever happens."""
        with self.slots.taken(holder=holder, deadline=deadline):
            page = await self._new_page()
            self._pages_since_launch += 1
            self._open_pages += 1
            guarded = GuardedPage(page)
            try:
                await install_guard(page, self.guard, guarded.refusals)
                return await work(guarded)
            finally:
                self._open_pages -= 1
                await close_page(page)

    async def _new_page(self):
        browser = await self.browser()
        try:
            return await browser.newPage()
        except Exception as error:
            # Died between the liveness check and now: one fresh browser, one more try.
            logger.warning("newPage failed (%s); relaunching Chromium", error)
            self._disconnected = True
            return await (await self.browser()).newPage()

    def run_page(
        self,
        work: Callable[[GuardedPage], Awaitable[T]],
        *,
        deadline: float,
        holder: Hashable | None = None,
    ) -> T:
        """Sync entry point for services; `holder` (a user's id) gets at most
        `pages_per_user` of the slots."""
        return self.call(
            lambda: self.with_page(work, holder=holder, deadline=deadline), deadline=deadline
        )

    async def _cancel_leftovers(self) -> None:
        """pyppeteer leaves a navigation's timeout task pending when the navigation fails."""
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    def shutdown(self) -> None:
        """Close the browser and stop the loop (process exit, tests)."""
        loop = self._loop
        if loop is None:
            return
        if loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._discard(), loop).result(10)
                asyncio.run_coroutine_threadsafe(self.proxy.close(), loop).result(5)
                asyncio.run_coroutine_threadsafe(self._cancel_leftovers(), loop).result(5)
            except Exception as error:
                logger.info("Browser shutdown: %s", error)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(5)
        self._loop = None


_driver: BrowserDriver | None = None
_driver_lock = threading.Lock()


def default_guard() -> UrlGuard:
    return UrlGuard(allowed=settings.BROWSER_ALLOWED_DESTINATIONS)


def get_driver() -> BrowserDriver:
    """The process's driver, built from settings on first use."""
    global _driver
    with _driver_lock:
        if _driver is None:
            _driver = BrowserDriver(
                guard=default_guard(),
                max_pages=settings.BROWSER_MAX_PAGES,
                pages_per_user=settings.BROWSER_PAGES_PER_USER,
                viewport=settings.BROWSER_VIEWPORT,
                recycle_after_pages=settings.BROWSER_RECYCLE_AFTER_PAGES,
                **chromium_build_options(settings.CHROMIUM_BUILD),
            )
        return _driver
