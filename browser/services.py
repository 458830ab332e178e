"""What the browser endpoints do (docs/contract.md §2.6): scrape, screenshot, PDF, social card, and
keeping a capture. Views parse input and call one of these."""

import struct
from urllib.parse import quote_plus

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string

from browser.driver import get_driver
from browser.errors import InvalidSelector, NoElementMatches, PageLoadFailed, UrlNotAllowed
from browser.models import Capture
from browser.page_guard import GuardedPage
from browser.proxy import REFUSAL_HEADER
from browser.ssrf import UrlRefused


def _deadline() -> float:
    return settings.BROWSER_DEADLINE_SECONDS


def _checked_url(url: str) -> str:
    try:
        get_driver().guard.check(url)
    except UrlRefused as refused:
        raise UrlNotAllowed(refused.reason) from None
    return url


async def _open(guarded: GuardedPage, url: str) -> None:
    """Navigate; a navigation the guard blocked (the URL or a redirect) is UrlNotAllowed."""
    # pyppeteer loads on the first browser request, never at start-up (browser/driver.py).
    from pyppeteer.errors import PageError
    from pyppeteer.errors import TimeoutError as NavigationTimeout

    try:
        response = await guarded.page.goto(url, waitUntil="load", timeout=_deadline() * 1000)
    except PageError as error:
        if "ERR_BLOCKED_BY_CLIENT" in str(error):
            reason = guarded.refusals[0] if guarded.refusals else "URL refused"
            raise UrlNotAllowed(reason) from None
        raise PageLoadFailed(f"Could not load the page: {error}") from None
    except NavigationTimeout:
        raise PageLoadFailed("The page did not finish loading in time") from None
    if response is not None and response.headers.get(REFUSAL_HEADER.lower()):
        # Fetch let it through but the proxy, which resolved the name again, did not.
        reason = guarded.refusals[0] if guarded.refusals else (await response.text()).strip()
        raise UrlNotAllowed(reason)


def _run(work, *, user_id: int | None):
    """Run `work(page)` in one of the user's page slots (browser/page_slots.py); None: only
    the process's total counts (callers that serve no user)."""
    return get_driver().run_page(work, deadline=_deadline(), holder=user_id)


# JS run in the page: text and absolute link of each match (an element's own href, or its
# first link's).
ELEMENTS_JS = """(elements) => elements.map((element) => {
  const link = element.closest('a[href]') || element.querySelector('a[href]');
  return {text: (element.innerText || element.textContent || '').trim(),
          url: link ? link.href : null};
})"""

SEARCH_JS = """(results, selectors) => results.map((result) => {
  const pick = (selector) => selector ? result.querySelector(selector) : null;
  const title = pick(selectors.title), link = pick(selectors.link),
        description = pick(selectors.description);
  const text = (node) => node ? (node.innerText || node.textContent || '').trim() : '';
  return {url: link && link.href ? link.href : null, title: text(title),
          description: text(description)};
})"""


def page_scrape(*, user_id: int | None, url: str, selector: str) -> list[dict]:
    """`[{"text", "url"}]` of every element matching `selector` on the page at `url`."""
    url = _checked_url(url)

    async def work(guarded: GuardedPage):
        await _open(guarded, url)
        return await guarded.page.querySelectorAllEval(selector, ELEMENTS_JS)

    return _scrape_errors(lambda: _run(work, user_id=user_id))


def search_page_url(query: str) -> str:
    return settings.SEARCH_URL.format(query=quote_plus(query))


def search_scrape(*, user_id: int | None, query: str) -> list[dict]:
    """The book's scraper: `[{"url", "title", "description"}]` from the configured search
    page (SEARCH_URL with {query}, SEARCH_SELECTORS)."""
    url = _checked_url(search_page_url(query))
    selectors = settings.SEARCH_SELECTORS

    async def work(guarded: GuardedPage):
        await _open(guarded, url)
        return await guarded.page.querySelectorAllEval(selectors["result"], SEARCH_JS, selectors)

    return _scrape_errors(lambda: _run(work, user_id=user_id))


def _scrape_errors(call):
    # pyppeteer loads on the first browser request, never at start-up (browser/driver.py).
    from pyppeteer.errors import ElementHandleError, NetworkError

    try:
        return call()
    except (ElementHandleError, NetworkError) as error:
        # querySelectorAll with a selector the page's engine rejects.
        raise InvalidSelector(f"Invalid selector: {error}".split("\n")[0]) from None


def screenshot_take(*, user_id: int | None, url: str, selector: str = "") -> bytes:
    """PNG of the element matching `selector` (or of the viewport) on the page at `url`."""
    url = _checked_url(url)

    async def work(guarded: GuardedPage):
        await _open(guarded, url)
        if not selector:
            return await guarded.page.screenshot(type="png")
        element = await guarded.page.querySelector(selector)
        if element is None:
            raise NoElementMatches(f"No element matches {selector!r}")
        return await element.screenshot(type="png")

    return _scrape_errors(lambda: _run(work, user_id=user_id))


def pdf_render(*, user_id: int | None, url: str) -> bytes:
    """The page at `url` printed to PDF (A4, backgrounds on)."""
    url = _checked_url(url)

    async def work(guarded: GuardedPage):
        await _open(guarded, url)
        return await guarded.page.pdf(format="A4", printBackground=True)

    return _run(work, user_id=user_id)


CARD_SIZE = {"width": 1200, "height": 630}


def card_render(*, user_id: int | None, title: str, subtitle: str = "") -> bytes:
    """A social card PNG from browser/templates/browser/card.html. No network: the HTML is
    set as the page's content and every request it might make is refused by the guard."""
    html = render_to_string("browser/card.html", {"title": title, "subtitle": subtitle})

    async def work(guarded: GuardedPage):
        await guarded.page.setViewport(CARD_SIZE)
        await guarded.page.setContent(html)
        return await guarded.page.screenshot(type="png", clip={"x": 0, "y": 0, **CARD_SIZE})

    return _run(work, user_id=user_id)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None for another format."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


CONTENT_EXTENSIONS = {"image/png": "png", "application/pdf": "pdf"}


def capture_store(*, owner, kind: str, source_url: str, data: bytes, content_type: str) -> Capture:
    """Save a capture's bytes in the media storage (a folder locally, S3 when configured)
    and record who asked for what."""
    size = png_size(data) if content_type == "image/png" else None
    capture = Capture(
        owner=owner,
        kind=kind,
        source_url=source_url[:2048],
        size_bytes=len(data),
        content_type=content_type,
        width=size[0] if size else None,
        height=size[1] if size else None,
    )
    name = f"{kind}.{CONTENT_EXTENSIONS.get(content_type, 'bin')}"
    with transaction.atomic():
        capture.file.save(name, ContentFile(data), save=True)
    return capture


def capture_delete(*, capture: Capture) -> None:
    """Delete the record and its stored file."""
    storage, name = capture.file.storage, capture.file.name
    capture.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
