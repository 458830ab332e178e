"""Warm browser vs a fresh launch per request, cold start of the Lambda build, memory growth.

For each build (Debian's /usr/bin/chromium, and the Lambda build @sparticuz/chromium fetched
by `scripts/chromium-lambda fetch`), same run, same page served on 127.0.0.1:
- screenshot latency with the app's warm driver (browser reused) against launching a fresh
  browser for each screenshot as the book's lambda does: median of N each, ratio (target <= 0.3);
- Lambda build only: cold start = unpacking the .br files into an empty /tmp folder + launch +
  first screenshot (Lambda adds its own init: runtime start, the layer mount, Django import);
- resident memory of the browser process tree (+ this process) after 10 and after M
  screenshots, growth (target <= 20 %), with the mean screenshot time over those M (relaunches
  included).

The Lambda build runs with the settings its function deploys with (the `prod_browser` stage's
environment in zappa_settings.json: BROWSER_RECYCLE_AFTER_PAGES, CHROMIUM_EXTRA_ARGS), as does
the warm measurement; `--recycle-after` adds other policies to compare.

    .venv/bin/python benchmarks/browser_warm.py [--requests 20] [--memory-requests 200]
        [--builds debian,lambda] [--recycle-after 100 50 ...] [--stage prod_browser]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from browser.driver import BrowserDriver  # noqa: E402
from browser.lambda_chromium import lambda_chromium_unpack  # noqa: E402
from browser.ssrf import UrlGuard  # noqa: E402

PAGE = (
    b"<!doctype html><html><body style='margin:0'><h1>Benchmark</h1>"
    b"<div id='box' style='width:300px;height:200px;background:#c00'></div></body></html>"
)
LAMBDA_VERSION = os.environ.get("CHROMIUM_LAMBDA_VERSION", "153.0.0")
LAMBDA_SOURCE = Path(
    os.environ.get(
        "CHROMIUM_LAMBDA_DIR", PROJECT_ROOT / "var" / "chromium-lambda" / LAMBDA_VERSION / "bin"
    )
)


class Page(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


def serve() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build_options(build: str, unpack_dir: Path) -> dict:
    if build == "debian":
        return {
            "executable": os.environ.get("CHROMIUM_EXECUTABLE", "/usr/bin/chromium"),
            "environment": {},
            "extra_args": [],
        }
    chromium = lambda_chromium_unpack(source_dir=LAMBDA_SOURCE, target_dir=unpack_dir)
    return {
        "executable": chromium.executable,
        "environment": chromium.environment,
        "extra_args": list(chromium.args),
    }


def deployed_settings(stage: str) -> dict:
    """The browser settings the stage's function deploys with (its environment_variables)."""
    stages = json.loads((PROJECT_ROOT / "zappa_settings.json").read_text())
    environment = stages[stage].get("environment_variables", {})
    extra = environment.get("CHROMIUM_EXTRA_ARGS", "")
    return {
        "recycle_after_pages": int(environment.get("BROWSER_RECYCLE_AFTER_PAGES", "100")),
        "extra_args": [flag for flag in extra.split(",") if flag],
    }


def screenshot(driver: BrowserDriver, url: str) -> bytes:
    async def work(guarded):
        await guarded.page.goto(url)
        element = await guarded.page.querySelector("#box")
        return await element.screenshot(type="png")

    return driver.run_page(work, deadline=30)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def tree_rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def bench_build(build: str, url: str, guard: UrlGuard, args, scratch: Path) -> None:
    print(f"\n== {build} ==")
    if build == "lambda":
        cold_dir = scratch / "cold-unpack"
        started = time.perf_counter()
        options = build_options(build, cold_dir)
        unpacked = time.perf_counter() - started
        driver = BrowserDriver(guard=guard, **options)
        first = timed(lambda: screenshot(driver, url))
        driver.shutdown()
        print(
            f"cold start: unpack {unpacked:.2f} s + launch and first screenshot {first:.2f} s"
            f" = {unpacked + first:.2f} s"
        )
    options = build_options(build, scratch / "unpacked")
    recycle_deployed = 0
    if build == "lambda":
        deployed = deployed_settings(args.stage)
        options["extra_args"] += deployed["extra_args"]
        recycle_deployed = deployed["recycle_after_pages"]
        print(
            f"deployed settings ({args.stage}): relaunch every {recycle_deployed} pages,"
            f" extra flags {deployed['extra_args'] or 'none'}"
        )

    warm_driver = BrowserDriver(guard=guard, recycle_after_pages=recycle_deployed, **options)
    screenshot(warm_driver, url)  # launch outside the measurement: the warm case
    warm, fresh = [], []
    for _ in range(args.requests):
        warm.append(timed(lambda: screenshot(warm_driver, url)))

        def fresh_launch():
            driver = BrowserDriver(guard=guard, **options)
            try:
                screenshot(driver, url)
            finally:
                driver.shutdown()

        fresh.append(timed(fresh_launch))
    warm_median, fresh_median = statistics.median(warm), statistics.median(fresh)
    print(f"screenshot, warm browser:   median {warm_median * 1000:7.1f} ms (n={len(warm)})")
    print(f"screenshot, fresh launch:   median {fresh_median * 1000:7.1f} ms (n={len(fresh)})")
    print(f"ratio warm / fresh: {warm_median / fresh_median:.3f} (target <= 0.3)")

    warm_driver.shutdown()

    # Memory on a browser of its own: after 10 screenshots, then after M; without recycling,
    # then relaunching every --recycle-after pages as the app does (BROWSER_RECYCLE_AFTER_PAGES).
    for recycle in sorted({0, recycle_deployed, *args.recycle_after}):
        memory_driver = BrowserDriver(guard=guard, recycle_after_pages=recycle, **options)

        def rss() -> int:
            return tree_rss_kib(os.getpid())  # this process and the browser it started

        started = time.perf_counter()
        for _ in range(10):
            screenshot(memory_driver, url)
        after_10 = rss()
        for _ in range(args.memory_requests - 10):
            screenshot(memory_driver, url)
        after_many = rss()
        mean = (time.perf_counter() - started) / args.memory_requests
        growth = (after_many - after_10) / after_10 * 100
        policy = f"relaunch every {recycle} pages" if recycle else "never relaunched"
        print(
            f"RSS (browser tree + this process, {policy}): after 10 screenshots"
            f" {after_10 / 1024:.0f} MiB, after {args.memory_requests}"
            f" {after_many / 1024:.0f} MiB, growth {growth:+.1f} % (target <= 20 %);"
            f" mean screenshot {mean * 1000:.1f} ms, {mean / fresh_median:.3f}x a fresh launch"
        )
        memory_driver.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--memory-requests", type=int, default=200)
    parser.add_argument("--builds", default="debian,lambda")
    parser.add_argument("--recycle-after", type=int, nargs="*", default=[])
    parser.add_argument("--stage", default="prod_browser")
    args = parser.parse_args()

    server = serve()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    guard = UrlGuard(allowed=[f"127.0.0.1:{server.server_address[1]}"])
    with tempfile.TemporaryDirectory(prefix="browser-bench-") as scratch:
        os.environ["HOME"] = scratch
        for build in args.builds.split(","):
            if build == "lambda" and not (LAMBDA_SOURCE / "chromium.br").exists():
                print(f"\n== lambda ==\nmissing {LAMBDA_SOURCE}: run scripts/chromium-lambda fetch")
                continue
            bench_build(build, url, guard, args, Path(scratch))
    server.shutdown()


if __name__ == "__main__":
    main()
