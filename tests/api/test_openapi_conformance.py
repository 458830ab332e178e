"""The OpenAPI document is exactly the server (docs/contract.md §2, issue 19 item 6):
schemathesis 4.32, `--checks all` with every phase (stateful included), run as its CLI against
the app served by gunicorn on loopback, finds no failure.

The server is the embedded local mode (its own SQLite file and broker folder in a temporary
state directory, as `scripts/serve` runs it) with:
- budgets raised, so generated traffic never meets a 429 (the 429s are checked against the
  document in test_documented_429s.py, the limits themselves in tests/accounts and
  tests/browser);
- sign-up on first login off, as on every stage but dev (it would make /login a /register);
- the browser operations pointed at a loopback page server that only this test allows: their
  `url` is always a page of it (SEARCH_URL too). 502, 503 and 504 are answers they may give
  (a page that did not load, a busy browser, a deadline), documented;
- a text/csv serializer for the upload bodies (schemathesis_hooks.py).

What no JSON Schema can say is configured per operation below, each with its reason.
"""

import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.aws_emulator import free_loopback_port
from tests.helpers import PROJECT_ROOT
from tests.helpers.local_server import http_json, local_server

SEED = 20261207
MAX_EXAMPLES = 20
RUN_TIMEOUT_SECONDS = 600
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
NO_LIMIT = "1000000/minute"
NO_COUNT_LIMIT = "1000000"

PAGE = b"""<!doctype html><html><head><title>A page</title></head>
<body><h1>Allowed page</h1><p>For the browser operations.</p></body></html>"""
SEARCH_PAGE = b"""<!doctype html><html><body>
<div class="result"><a class="result__a" href="http://example.test/1">First</a>
<div class="result__snippet">One</div></div></body></html>"""

# 2xx, and what the check itself lets through besides (schemathesis's default list).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]


class PageHandler(BaseHTTPRequestHandler):
    paths_served: list[str] = []

    def do_GET(self):
        self.paths_served.append(self.path)
        body = SEARCH_PAGE if self.path.startswith("/search") else PAGE
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def page_server():
    server = ThreadingHTTPServer(("127.0.0.1", free_loopback_port()), PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory, page_server):
    with local_server(
        tmp_path_factory.mktemp("conformance"),
        workers=2,
        SIGN_UP_ON_FIRST_LOGIN="false",
        JWT_ACCESS_MINUTES="60",
        RATE_LIMIT_ITEM_WRITES=NO_LIMIT,
        RATE_LIMIT_PIPELINE_RUNS=NO_LIMIT,
        BROWSER_THROTTLE_RATE=NO_LIMIT,
        LOGIN_FAILURES_PER_USERNAME=NO_COUNT_LIMIT,
        LOGIN_FAILURES_PER_ADDRESS=NO_COUNT_LIMIT,
        REGISTRATIONS_PER_ADDRESS=NO_COUNT_LIMIT,
        BROWSER_ALLOWED_DESTINATIONS=page_server,
        SEARCH_URL=f"http://{page_server}/search?q={{query}}",
        BROWSER_DEADLINE_SECONDS="10",
    ) as url:
        yield url


def schemathesis_config(page_host: str) -> str:
    page = f"http://{page_host}/page"
    or_400 = json.dumps([*ACCEPTED, "400"])
    return textwrap.dedent(
        f"""
        # Browser operations: only the test's loopback pages (docs/contract.md §2.6).
        [[operations]]
        include-path-regex = "^/(scraper|screenshot|pdf)$"
        parameters = {{ "query.url" = "{page}", "query.selector" = "h1" }}
        checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]
        # `search` or `url`: one of the two is required, which OpenAPI 3.0 cannot say of query
        # parameters.
        checks.positive_data_acceptance.expected-statuses = {or_400}

        [[operations]]
        include-path = "/card"
        checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503", "504"]

        # Django's password policy (too short, too common, all digits, too like the
        # username), a taken username and the current password are facts no schema states.
        [[operations]]
        include-name = ["POST /register", "POST /password"]
        checks.positive_data_acceptance.expected-statuses = {or_400}

        # NUL is refused in every string of an item (Postgres cannot store it); the document
        # says so of values (`pattern`), but OpenAPI 3.0 has no propertyNames for keys.
        [[operations]]
        include-name-regex = "^POST /item"
        generation.allow-x00 = false

        # A cursor is valid only when the API issued it (the stateful phase follows `next`).
        [[operations]]
        include-name = "GET /items"
        checks.positive_data_acceptance.expected-statuses = {or_400}

        # A run starts from an upload only once its file is there; a file is lines, and what
        # they hold is read by the run (a bad line fails the run, not the request).
        [[operations]]
        include-name-regex = "^POST /(sumArray|wordCount)$"
        checks.positive_data_acceptance.expected-statuses = {or_400}
        """
    )


@pytest.mark.slow
def test_schemathesis_finds_no_failure(api_server, page_server, tmp_path):
    status, signed_in = http_json(
        f"{api_server}/register", {"username": "conformance", "password": "a-Long-pass-9471"}
    )
    assert status == 201, signed_in
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(page_server))
    if not SCHEMATHESIS.exists():
        pytest.fail(f"schemathesis is not installed next to {sys.executable}")

    run = subprocess.run(
        [
            *(str(SCHEMATHESIS), "--config-file", str(config), "--no-color", "run"),
            f"{api_server}/openapi.json",
            *("--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--workers", "2"),
            *("--seed", str(SEED), "--request-timeout", "30"),
            *("--header", f"Authorization: Bearer {signed_in['token']}"),
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        },
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )

    report = run.stdout[-20000:] + run.stderr[-4000:]
    assert run.returncode == 0, report
    assert "✅ Stateful" in run.stdout, report
    # The browser operations really loaded the allowed page (`url` is always it, so `search`
    # never leads anywhere else; SEARCH_URL points here all the same).
    assert "/page" in PageHandler.paths_served
    for phase in ("Examples", "Coverage", "Fuzzing"):
        assert f"✅ {phase}" in run.stdout or f"⏭ {phase}" in run.stdout, report


def test_schemathesis_is_the_pinned_version():
    # The configuration above is schemathesis 4's (operations, expected-statuses).
    version = subprocess.run(
        [str(SCHEMATHESIS), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert "4.32" in version, version
