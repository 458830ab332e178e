"""Which Chromium the driver launches, and with which flags: Debian's build, the Lambda build
(@sparticuz/chromium, unpacked from a layer), or none on a stage whose browser is its own
function (docs/browser.md)."""

from pathlib import Path

from django.conf import settings

from browser.errors import BrowserNotHere

# Flags for a container without a user-namespace sandbox or GPU, that keep Chromium off the
# network on its own (updates, sync), and make WebRTC unable to send UDP outside a proxy
# (WebRTC bypasses CDP Fetch).
BASE_ARGS = [
    "--no-sandbox",
    "--disable-setuid-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--mute-audio",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    # Every frame in the page's own target, so the page's Fetch interception sees iframes'
    # requests too (an out-of-process iframe would be a separate target).
    "--disable-features=IsolateOrigins,site-per-process",
    "--disable-site-isolation-trials",
]


def chromium_build_options(build: str) -> dict:
    """executable, environment and extra_args for Debian's Chromium ("debian") or the
    Lambda build ("lambda", unpacked from CHROMIUM_LAMBDA_DIR into CHROMIUM_UNPACK_DIR)."""
    if build == "lambda":
        # Only the Lambda build unpacks Chromium (tarfile and friends: ~3 ms the others skip).
        from browser.lambda_chromium import lambda_chromium_unpack

        chromium = lambda_chromium_unpack(
            source_dir=Path(settings.CHROMIUM_LAMBDA_DIR),
            target_dir=Path(settings.CHROMIUM_UNPACK_DIR),
        )
        return {
            "executable": chromium.executable,
            "environment": chromium.environment,
            "extra_args": [*chromium.args, *settings.CHROMIUM_EXTRA_ARGS],
        }
    if build == "none":
        # Stages whose package excludes pyppeteer: the browser is its own function.
        raise BrowserNotHere("The browser is served by its own function (see docs/browser.md)")
    if build != "debian":
        raise ValueError(f"CHROMIUM_BUILD must be debian or lambda, not {build!r}")
    return {
        "executable": settings.CHROMIUM_EXECUTABLE,
        "environment": {},
        "extra_args": list(settings.CHROMIUM_EXTRA_ARGS),
    }
