"""The app served as a client meets it, for third-party suites that speak HTTP (schemathesis,
the graphql-http audits): gunicorn on loopback, the embedded local mode (its own SQLite file
and broker folder in a temporary state directory, as `scripts/serve` runs it), migrated."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.aws_emulator import free_loopback_port
from tests.helpers import PROJECT_ROOT

START_TIMEOUT_SECONDS = 60


def local_environment(state_dir: Path, **settings: str) -> dict:
    """The process environment of a local-mode server whose state lives in state_dir."""
    return {
        "PATH": os.environ["PATH"],
        # Chromium and pyppeteer write under these (docs/browser.md).
        "HOME": str(state_dir),
        "TMPDIR": str(state_dir),
        "PYPPETEER_HOME": str(state_dir / "pyppeteer"),
        "PYTHONPATH": str(PROJECT_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.django.local",
        "LOCAL_STATE_DIR": str(state_dir),
        "DEBUG": "false",
        **settings,
    }


def http_json(url: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def local_server(state_dir: Path, *, workers: int = 1, **settings: str) -> Iterator[str]:
    """Migrates, starts gunicorn, waits for /health; yields the base URL; stops it."""
    environ = local_environment(state_dir, **settings)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT_ROOT,
        env=environ,
        check=True,
    )
    port = free_loopback_port()
    log_path = state_dir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"),
                *("--workers", str(workers), "--timeout", "60", "config.wsgi:application"),
            ],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log_path)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited {process.returncode}:\n{log_path.read_text()}")
        try:
            if http_json(f"{url}/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(
        f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s:\n{log_path.read_text()}"
    )
