"""Polling for what a test waits on (a worker finishing a run, a server answering)."""

import time


def wait_for(condition, *, timeout: float = 60, interval: float = 0.05, message=None):
    """Poll `condition` until truthy and return its value; on timeout fail with `message()`
    (e.g. a worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting: {message() if message else ''}")
