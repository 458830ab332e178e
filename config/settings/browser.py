"""The headless browser (docs/contract.md §2.6, docs/browser.md): which Chromium, limits, the SSRF
allow-list and the search page the book's /scraper?search= reads."""

import os
import tempfile

from config.env import env

# "debian": the executable below. "lambda": the @sparticuz/chromium build, whose compressed
# files (a layer on Lambda: /opt/chromium) are unpacked into CHROMIUM_UNPACK_DIR once per cold
# start (scripts/chromium-lambda builds the layer; docs/browser.md).
CHROMIUM_BUILD = env("CHROMIUM_BUILD", default="debian")
CHROMIUM_LAMBDA_DIR = env("CHROMIUM_LAMBDA_DIR", default="/opt/chromium")
CHROMIUM_UNPACK_DIR = env(
    "CHROMIUM_UNPACK_DIR", default=os.path.join(tempfile.gettempdir(), "chromium-lambda")
)
# Debian's /usr/bin/chromium locally and in CI; on Lambda the layer's binary, unpacked into /tmp.
# Never downloaded at run time: without a path pyppeteer would try to fetch one.
CHROMIUM_EXECUTABLE = env("CHROMIUM_EXECUTABLE", default="/usr/bin/chromium")
# Extra Chromium flags (comma-separated), after the driver's own.
CHROMIUM_EXTRA_ARGS = env.list("CHROMIUM_EXTRA_ARGS", default=[])
# Seconds one request may spend in the browser; API Gateway cuts a request at 29 s and the
# browser function's timeout is 30 s, so this stays well under both.
BROWSER_DEADLINE_SECONDS = env.float("BROWSER_DEADLINE_SECONDS", default=25.0)
# Pages open at once per process, and how many of them one user may hold. Never a queue: past
# their share a user gets 429, with every slot busy anyone gets 503, both with Retry-After
# (browser/page_slots.py, docs/browser.md "Fair page slots").
BROWSER_MAX_PAGES = env.int("BROWSER_MAX_PAGES", default=2)
BROWSER_PAGES_PER_USER = env.int("BROWSER_PAGES_PER_USER", default=1)
# Relaunch the browser after this many pages (0: never): bounds the memory the single-process
# Lambda build keeps from closed pages (docs/browser.md, benchmarks/browser_warm.py).
BROWSER_RECYCLE_AFTER_PAGES = env.int("BROWSER_RECYCLE_AFTER_PAGES", default=100)
# host:port destinations the SSRF guard lets through although their address is not public.
# Production: none. The test suite allows its own 127.0.0.1 server.
BROWSER_ALLOWED_DESTINATIONS = env.list("BROWSER_ALLOWED_DESTINATIONS", default=[])
# Viewport of /screenshot and /pdf pages.
BROWSER_VIEWPORT = {
    "width": env.int("BROWSER_VIEWPORT_WIDTH", default=1280),
    "height": env.int("BROWSER_VIEWPORT_HEIGHT", default=900),
}
# The book's search scraper: a URL template with {query}, and what to read from each result.
SEARCH_URL = env("SEARCH_URL", default="https://html.duckduckgo.com/html/?q={query}")
SEARCH_SELECTORS = {
    "result": env("SEARCH_RESULT_SELECTOR", default=".result"),
    "title": env("SEARCH_TITLE_SELECTOR", default=".result__a"),
    "link": env("SEARCH_LINK_SELECTOR", default=".result__a"),
    "description": env("SEARCH_DESCRIPTION_SELECTOR", default=".result__snippet"),
}
# Requests per user to the browser endpoints ("N/second|minute|hour|day"; 0/minute: off),
# counted in the database every process and Lambda container shares (accounts.throttles.budgets).
BROWSER_THROTTLE_RATE = env("BROWSER_THROTTLE_RATE", default="30/minute")
