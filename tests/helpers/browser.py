"""What the browser tests share besides fixtures: the names the test resolver answers, and
an SSRF guard that allows only given loopback servers."""

from browser.ssrf import UrlGuard

# Names the injected resolver knows; Chromium is told the same mapping (--host-resolver-rules),
# so if the guard let such a URL through, the browser really would reach the server.
FORBIDDEN_NAME = "forbidden.test"
REBINDING_NAME = "rebinding.test"


class TestResolver:
    """The injected resolver: FORBIDDEN_NAME is 127.0.0.1; REBINDING_NAME is 127.0.0.1 the
    first time it is asked and 127.0.0.2 after (DNS rebinding)."""

    __test__ = False  # a helper, not a test class

    def __init__(self):
        self.rebinding_lookups = 0

    def __call__(self, host: str, port: int) -> list[str]:
        if host == FORBIDDEN_NAME:
            return ["127.0.0.1"]
        if host == REBINDING_NAME:
            self.rebinding_lookups += 1
            return ["127.0.0.1"] if self.rebinding_lookups == 1 else ["127.0.0.2"]
        if host == "localhost":
            return ["127.0.0.1", "::1"]
        return []


def guard_allowing(*servers, resolver=None) -> UrlGuard:
    """A guard allowing 127.0.0.1 on each server's port (tests/browser/conftest.py's
    RecordingServer), resolving names with `resolver` (a TestResolver by default)."""
    return UrlGuard(
        allowed=[f"127.0.0.1:{server.port}" for server in servers],
        resolver=resolver or TestResolver(),
    )


def set_driver(driver):
    """Install `driver` as the app's process-wide driver (the views' get_driver() returns it);
    returns the previous one. Tests inject a driver with their own guard and resolver."""
    from browser import driver as driver_module

    with driver_module._driver_lock:
        previous, driver_module._driver = driver_module._driver, driver
    return previous
