"""Per-request cost of the access log line and the metric event (target: <= 5 %), and the
import cost the observability modules add to a cold start (target: <= 30 ms).

Same process, same run: GET /hello through Django's full middleware stack with the access
log and metrics on (METRICS_SINKS as named, JSON lines written to /dev/null) against the same
stack without AccessLogMiddleware and with no sink; requests interleaved in rounds so drift
hits both alike.

    .venv/bin/python benchmarks/observability_overhead.py [--requests 3000] [--sinks db,emf]
        [--cpu-time]

--cpu-time times the requests by this process's CPU time instead of the wall clock: on a
machine loaded past its cores, wall-clock figures measure the scheduler (ratios of 0.8 and
1.4 in two runs of the same code).
"""

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database  # noqa: E402


def timed_requests(client, count: int, clock=time.perf_counter) -> float:
    started = clock()
    for _ in range(count):
        client.get("/hello?name=Ann")
    return (clock() - started) / count * 1e6  # µs per request


def import_cost_ms() -> tuple[float, float]:
    """Fresh processes: Django set up, then importing the observability modules."""
    code = (
        "import time, django, os; os.environ['DJANGO_SETTINGS_MODULE']="
        "'config.django.test'; django.setup(); t=time.perf_counter(); {imports}; "
        "print((time.perf_counter()-t)*1000)"
    )
    runs = {"with": [], "baseline": []}
    for _ in range(5):
        for name, imports in (
            (
                "with",
                "import monitoring.access, monitoring.metrics, monitoring.jobs, monitoring.health",
            ),
            ("baseline", "pass"),
        ):
            out = subprocess.run(
                [sys.executable, "-c", code.format(imports=imports)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name].append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs["with"]), statistics.median(runs["baseline"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--sinks", default="db")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time by this process's CPU time, not the wall"
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    create_benchmark_database()
    from django.conf import settings
    from django.test import Client, override_settings

    # The lines are written, just not to the terminal.
    from monitoring.logs import JsonFormatter

    devnull = logging.StreamHandler(open(os.devnull, "w"))
    devnull.setFormatter(JsonFormatter())  # as LOGGING's handler: the JSON encoding counts
    for name in ("monitoring.access", ""):
        logging.getLogger(name).handlers = [devnull]
    sinks = [sink for sink in args.sinks.split(",") if sink]
    without = [m for m in settings.MIDDLEWARE if m != "monitoring.access.AccessLogMiddleware"]
    on = override_settings(METRICS_SINKS=sinks, METRICS_FLUSH_SECONDS=30)
    off = override_settings(METRICS_SINKS=[], MIDDLEWARE=without)
    samples = {"on": [], "off": []}
    rounds, per_round = 10, max(args.requests // 10, 1)
    with open(os.devnull, "w") as sink_out:
        saved_stdout, sys.stdout = sys.stdout, sink_out  # EMF lines go to stdout
        try:
            for round_number in range(rounds):
                order = (("on", on), ("off", off))
                for name, override in order if round_number % 2 else order[::-1]:
                    with override:
                        samples[name].append(timed_requests(Client(), per_round, clock))
        finally:
            sys.stdout = saved_stdout
    with_obs, without_obs = statistics.median(samples["on"]), statistics.median(samples["off"])
    print(
        f"GET /hello, {rounds}x{per_round} requests each, sinks={sinks}, "
        f"{'CPU' if args.cpu_time else 'wall'} time"
    )
    print(f"  with access log + metrics: {with_obs:8.1f} µs/request")
    print(f"  without:                   {without_obs:8.1f} µs/request")
    print(f"  ratio: {with_obs / without_obs:.3f} (target <= 1.05)")
    imported, baseline = import_cost_ms()
    print(
        f"cold start: importing the observability modules after django.setup(): "
        f"{imported - baseline:.1f} ms (median of 5 fresh processes; target <= 30 ms)"
    )


if __name__ == "__main__":
    main()
