"""What every page of the warm browser goes through: the SSRF guard on each request it makes
(CDP `Fetch`), and the clearing of what it leaves behind for the next user."""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from browser.ssrf import SUB_REQUEST_SCHEMES, UrlGuard, UrlRefused

logger = logging.getLogger(__name__)


@dataclass
class GuardedPage:
    """A page and what the SSRF guard refused while it loaded."""

    page: Any
    refusals: list[str] = field(default_factory=list)


async def install_guard(page, guard: UrlGuard, refusals: list[str]) -> None:
    """Pause every request of `page` (CDP Fetch, request stage, redirects included), let it
    continue only if the guard accepts its URL, else fail it as blocked by the client.

    pyppeteer's setRequestInterception uses a CDP method this Chromium no longer has.
    """
    session = await page.target.createCDPSession()
    loop = asyncio.get_running_loop()

    async def decide(event: dict) -> None:
        url = event["request"]["url"]
        try:
            # Resolution blocks: keep it off the loop every page shares.
            await loop.run_in_executor(None, lambda: guard.check(url, schemes=SUB_REQUEST_SCHEMES))
        except UrlRefused as refused:
            refusals.append(f"{refused.reason} ({url})")
            await session.send(
                "Fetch.failRequest",
                {"requestId": event["requestId"], "errorReason": "BlockedByClient"},
            )
            return
        await session.send("Fetch.continueRequest", {"requestId": event["requestId"]})

    def on_paused(event: dict) -> None:
        task = loop.create_task(decide(event))
        task.add_done_callback(_log_task_error)

    session.on("Fetch.requestPaused", on_paused)
    await session.send(
        "Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}
    )


async def forget_what_the_page_left(page) -> None:
    """The warm browser is shared by every user of the process: cookies, cache and the page's
    origin storage must not carry one user's session into another's request. (A browser
    context per request would isolate better, but the single-process Lambda build refuses
    incognito contexts.) Then the memory the page used is handed back."""
    session = await page.target.createCDPSession()
    try:
        origin = await page.evaluate("() => location.origin")
        clearing = [
            session.send("Network.clearBrowserCookies"),
            session.send("Network.clearBrowserCache"),
        ]
        if origin and origin.startswith(("http://", "https://")):
            clearing.append(
                session.send(
                    "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                )
            )
        # At once: independent, and the storage clearing alone takes tens of milliseconds
        # (together: ~20 ms less a page on the Lambda build, alternating in one run).
        await asyncio.gather(*clearing)
        # The single-process Lambda build keeps what closed pages used (+55 % RSS over 100
        # screenshots); a critical memory-pressure signal makes every process drop its caches
        # and collect garbage now: +1 %, no slower (docs/browser.md, benchmarks/browser_warm.py).
        await session.send("Memory.simulatePressureNotification", {"level": "critical"})
    finally:
        await session.detach()


async def close_page(page) -> None:
    """Clear what the page left, then close it; a browser that died meanwhile is logged."""
    try:
        await asyncio.wait_for(forget_what_the_page_left(page), 5)
    except Exception as error:
        logger.info("Clearing a page's cookies and storage failed: %s", error)
    try:
        await asyncio.wait_for(page.close(), 5)
    except Exception as error:
        logger.info("Closing a page failed: %s", error)


def _log_task_error(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        # The page closed while a request was paused: nothing left to continue.
        logger.debug("Fetch decision failed: %s", task.exception())
