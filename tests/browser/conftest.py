"""Browser fixtures: a real Chromium behind the app's driver, the test pages it may load (an
allowed server on 127.0.0.1) and servers it must never reach (a second port on 127.0.0.1 and
one on 127.0.0.2), which record every connection. Only loopback traffic."""

import html
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from browser.driver import BrowserDriver
from browser.lambda_chromium import lambda_chromium_unpack
from tests.helpers import PROJECT_ROOT
from tests.helpers.browser import FORBIDDEN_NAME, REBINDING_NAME, guard_allowing, set_driver
from tests.helpers.chromium import CHROMIUM_EXECUTABLE, isolated_browser_home


class RecordingServer(ThreadingHTTPServer):
    """Records every connection accepted and every request line; answers from `pages`."""

    daemon_threads = True

    def __init__(self, host: str, port: int = 0):
        self.connections: list[tuple] = []
        self.requests: list[str] = []
        self.pages: dict = {}
        super().__init__((host, port), PageHandler)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def verify_request(self, request, client_address) -> bool:
        self.connections.append(client_address)
        return True

    @property
    def origin(self) -> str:
        return f"http://{self.server_address[0]}:{self.port}"

    def hits(self) -> int:
        return len(self.connections)

    def forget(self) -> None:
        self.connections.clear()
        self.requests.clear()


class PageHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        page = self.server.pages.get(parts.path)
        if page is None:
            body, status, headers = b"hit", 200, {"Content-Type": "text/plain"}
        elif callable(page):
            status, headers, body = page(query)
        else:
            body, status, headers = page.encode(), 200, {"Content-Type": "text/html"}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def html_page(body: str, head: str = "") -> tuple[int, dict, bytes]:
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    )
    return 200, {"Content-Type": "text/html; charset=utf-8"}, text.encode()


def attribute(value: str) -> str:
    return html.escape(value, quote=True)


def script_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\x3c")


# Pages that make one kind of sub-request to `?to=`; `window.done` turns true when it settled.
SUB_REQUEST_PAGES = {
    "/sub/img": lambda q: html_page(
        f'<img id="probe" src="{attribute(q["to"])}"><script>window.done = true</script>'
    ),
    "/sub/iframe": lambda q: html_page(
        f'<iframe src="{attribute(q["to"])}"></iframe><script>window.done = true</script>'
    ),
    "/sub/css": lambda q: html_page(
        "<p>styled</p><script>window.done = true</script>",
        head=f'<style>@import url("{script_string(q["to"])}");</style>',
    ),
    "/sub/fetch": lambda q: html_page(
        f'<script>fetch("{script_string(q["to"])}", {{mode: "no-cors"}})'
        ".catch(() => null).finally(() => { window.done = true; });</script>"
    ),
    "/sub/websocket": lambda q: html_page(
        f'<script>const socket = new WebSocket("{script_string(q["to"])}");'
        "socket.onerror = socket.onclose = socket.onopen = () => { window.done = true; };"
        "</script>"
    ),
}

TEST_PAGES = {
    "/results": """<h1>Results</h1>
      <div class="result"><a class="title" href="/one">First result</a>
        <span class="snippet">The first one.</span></div>
      <div class="result"><a class="title" href="https://example.com/two">Second result</a>
        <span class="snippet">The second one.</span></div>""",
    "/box": """<style>body { margin: 0; background: #fff; }
      #box { position: absolute; left: 40px; top: 30px; width: 300px; height: 200px;
             background: rgb(255, 0, 0); } #box i { display: block; width: 100px;
             height: 50px; background: rgb(0, 0, 255); }</style><div id="box"><i></i></div>""",
    "/text": "<h1>Serverless Handbook</h1><p>Printed by headless Chromium.</p>",
    "/redirect": lambda q: (302, {"Location": q["to"]}, b""),
    "/slow": lambda q: (time.sleep(float(q.get("seconds", "3"))), *html_page("late"))[1:],
    # One user's visit leaves a cookie and local storage; the next request shows what it sees.
    "/remember": lambda q: (
        200,
        {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "session=user-a; Path=/"},
        html_page("<p id='state'>set</p><script>localStorage.setItem('who', 'user-a')</script>")[2],
    ),
    "/recall": html_page(
        "<p id='state'></p><script>document.getElementById('state')"
        ".textContent = 'cookie=' + document.cookie + ' storage=' + "
        "localStorage.getItem('who')</script>"
    )[2].decode(),
    **SUB_REQUEST_PAGES,
}


@pytest.fixture(scope="session")
def allowed_server() -> Iterator[RecordingServer]:
    server = RecordingServer("127.0.0.1")
    server.pages.update(TEST_PAGES)
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def forbidden_server() -> Iterator[RecordingServer]:
    """Another port on 127.0.0.1, not on the allow-list."""
    server = RecordingServer("127.0.0.1")
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def rebinding_target(allowed_server) -> Iterator[RecordingServer]:
    """127.0.0.2 on the allowed server's port: where a rebinding name points the second time."""
    server = RecordingServer("127.0.0.2", allowed_server.port)
    yield server
    server.shutdown()


LAMBDA_BUILD_VERSION = os.environ.get("CHROMIUM_LAMBDA_VERSION", "153.0.0")
LAMBDA_BUILD_DIR = PROJECT_ROOT / "var" / "chromium-lambda" / LAMBDA_BUILD_VERSION


def chromium_build(build: str) -> dict:
    """Driver options for Debian's Chromium or the Lambda build (@sparticuz/chromium, fetched
    by `scripts/chromium-lambda fetch` before the run: tests make no request off loopback)."""
    if build == "debian":
        return {"executable": CHROMIUM_EXECUTABLE, "environment": {}, "extra_args": []}
    source = Path(os.environ.get("CHROMIUM_LAMBDA_DIR", LAMBDA_BUILD_DIR / "bin"))
    if not (source / "chromium.br").exists():
        pytest.fail(
            f"The Lambda Chromium build is missing in {source}: run "
            "scripts/chromium-lambda fetch (npm), as .ci/run does",
            pytrace=False,
        )
    chromium = lambda_chromium_unpack(source_dir=source, target_dir=LAMBDA_BUILD_DIR / "unpacked")
    return {
        "executable": chromium.executable,
        "environment": chromium.environment,
        "extra_args": list(chromium.args),
    }


@pytest.fixture(scope="session", params=["debian", "lambda"])
def browser_driver(
    request, tmp_path_factory, allowed_server, forbidden_server, rebinding_target
) -> Iterator[BrowserDriver]:
    """The app's driver with a real Chromium (each build in turn), allowing only the allowed
    server; installed as the process's driver so the views use it."""
    rules = f"MAP {FORBIDDEN_NAME} 127.0.0.1, MAP {REBINDING_NAME} 127.0.0.2"
    options = chromium_build(request.param)
    options["extra_args"].append(f"--host-resolver-rules={rules}")
    driver = BrowserDriver(guard=guard_allowing(allowed_server), max_pages=2, **options)
    previous = set_driver(driver)
    with isolated_browser_home(tmp_path_factory.mktemp("browser-driver")):
        driver.call(driver.browser, deadline=30)
    yield driver
    set_driver(previous)
    driver.shutdown()


@pytest.fixture
def driver(browser_driver, allowed_server, forbidden_server, rebinding_target):
    """The shared driver with a fresh guard (resolver state) and servers that forgot their hits."""
    for server in (allowed_server, forbidden_server, rebinding_target):
        server.forget()
    browser_driver.set_guard(guard_allowing(allowed_server))
    yield browser_driver
    browser_driver.set_guard(guard_allowing(allowed_server))


@pytest.fixture
def browser_user(make_user):
    """A member: the default role grants browser:use."""
    return make_user("browsing")


@pytest.fixture
def browser_headers(browser_user, bearer_headers) -> dict[str, str]:
    return bearer_headers(browser_user)


@pytest.fixture(autouse=True)
def fresh_throttle_history():
    """DRF keeps request history in the cache; user ids can repeat between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def root_script_prefix():
    """A request through Zappa's handler leaves its stage prefix (/dev/) as the thread's script
    prefix, and Django's test client does not reset it: start every test at /."""
    from django.urls import set_script_prefix

    set_script_prefix("/")
    yield
    set_script_prefix("/")
