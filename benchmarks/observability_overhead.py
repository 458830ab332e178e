"""Per-request cost of the access log line and the metric event (target: <= 5 %), and the
import cost the observability modules add to a cold start (target: <= 30 ms). Tracing:
what a sampled process imports once, and the per-request cost unsampled (target: <= 2 %)
and sampled.

Same process, same run: GET /hello through Django's full middleware stack with the access
log and metrics on (METRICS_SINKS as named, JSON lines written to /dev/null by LOGGING's
handler class) against the same stack without AccessLogMiddleware and with no sink, served
two ways: by Django's test client, and as Lambda serves it (an API Gateway event through
Zappa's real handler, whose own work makes the request ~1.5 times longer). Short
rounds, interleaved, the order flipped each round; the ratio is the median of each round's
ratio to the baseline round beside it, so load that drifts hits both alike. The objects of
start-up are frozen out of the collector after the warm-up, as on Lambda
(config/cold_start_gc.py): a full collection of them (~0.3 s here) would land in one round.

    .venv/bin/python benchmarks/observability_overhead.py [--requests 3000] [--sinks db,emf]
        [--cpu-time]

--cpu-time times the requests by this process's CPU time instead of the wall clock: on a
machine loaded past its cores, wall-clock figures measure the scheduler (ratios of 0.8 and
1.4 in two runs of the same code).
"""

import argparse
import gc
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database  # noqa: E402


def timed_requests(serve, count: int, clock=time.perf_counter) -> float:
    """µs per request of `serve()` (one GET /hello?name=Ann)."""
    started = clock()
    for _ in range(count):
        serve()
    return (clock() - started) / count * 1e6


def client_serving(**environ):
    """GET /hello through Django's test client (`environ`: extra WSGI keys)."""
    from django.test import Client

    client = Client()
    return lambda: client.get("/hello?name=Ann", **environ)


def zappa_serving(directory: str):
    """GET /hello as Lambda serves it: an API Gateway event through Zappa's real handler, built
    from zappa_settings.json's dev stage on the benchmark's settings (benchmarks/zappa_lambda)."""
    from benchmarks.lambda_events import api_gateway_event
    from benchmarks.zappa_lambda import LambdaContext, ZappaLambda, write_zappa_settings_module

    module = write_zappa_settings_module(
        Path(directory), "dev", django_settings=os.environ["DJANGO_SETTINGS_MODULE"]
    )
    lambda_ = ZappaLambda(module)  # its WSGI handler builds the middleware chain once, here
    event = api_gateway_event("GET", "/hello?name=Ann")
    return lambda: lambda_.invoke(event, LambdaContext(aws_request_id="bench"))


def paired_ratio(servers: dict, overrides: dict, rounds: int, per_round: int, clock):
    """Medians of µs per request for "on" and "off", and the median of the rounds' paired
    ratios: interleaved rounds, the order flipped each round."""
    samples = {"on": [], "off": []}
    for round_number in range(rounds):
        order = list(overrides.items())
        for name, override in order if round_number % 2 else order[::-1]:
            with override:
                samples[name].append(timed_requests(servers[name], per_round, clock))
    ratio = statistics.median(a / b for a, b in zip(samples["on"], samples["off"], strict=True))
    return statistics.median(samples["on"]), statistics.median(samples["off"]), ratio


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


def tracing_import_cost_ms() -> float:
    """What a sampled cold start adds: OpenTelemetry and its exporter (monitoring/otel_export.py).
    Unsampled work never imports it (monitoring/tracing.py), so GET /hello above pays none."""
    code = (
        "import time, django, os; os.environ['DJANGO_SETTINGS_MODULE']="
        "'config.django.test'; django.setup(); import monitoring.access; "
        "t=time.perf_counter(); import monitoring.otel_export; "
        "print((time.perf_counter()-t)*1000)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.split()[-1]
        )
        for _ in range(5)
    ]
    return statistics.median(runs)


def tracing_request_cost(count: int) -> dict[str, float]:
    """µs per GET /hello served as a Lambda invocation (Zappa's handler puts its context in the
    request): not traced (no trace variable), traced but unsampled (Sampled=0: the gate in
    monitoring/tracing.py only), and sampled, exporting each span over OTLP/HTTP to a receiver
    on loopback (the ADOT collector's place). Interleaved rounds."""
    from benchmarks.otlp_receiver import OtlpReceiver
    from benchmarks.zappa_lambda import LambdaContext

    receiver = OtlpReceiver()
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.endpoint
    root = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
    cases = {"off": None, "unsampled": f"{root};Sampled=0", "sampled": f"{root};Sampled=1"}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    serve = client_serving(**{"lambda.context": LambdaContext(aws_request_id="bench")})
    timed_requests(serve, 50)  # warm: imports, the first span's connection
    rounds = 30
    for round_number in range(rounds):
        order = list(cases.items())
        for name, header in order if round_number % 2 else order[::-1]:
            if header is None:
                os.environ.pop("_X_AMZN_TRACE_ID", None)
            else:
                os.environ["_X_AMZN_TRACE_ID"] = header
            samples[name].append(timed_requests(serve, max(count // rounds, 1)))
    os.environ.pop("_X_AMZN_TRACE_ID", None)
    receiver.shutdown()
    return {name: statistics.median(values) for name, values in samples.items()}


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
    from django.core import signals
    from django.db import close_old_connections
    from django.test import override_settings

    # As Django's test client does: the benchmark's in-memory database outlives each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    sinks = [sink for sink in args.sinks.split(",") if sink]
    without = [m for m in settings.MIDDLEWARE if m != "monitoring.access.AccessLogMiddleware"]
    overrides = {
        "on": override_settings(METRICS_SINKS=sinks, METRICS_FLUSH_SECONDS=30),
        "off": override_settings(METRICS_SINKS=[], MIDDLEWARE=without),
    }
    rounds = 30
    per_round = max(args.requests // rounds, 1)
    paths = ("Django's test client", "Zappa's handler, an API Gateway event")
    results = {}
    with open(os.devnull, "w") as sink_out, tempfile.TemporaryDirectory() as directory:
        saved_stdout, sys.stdout = sys.stdout, sink_out  # EMF lines go to stdout
        try:
            servers = {}
            for name, override in overrides.items():
                with override:  # each builds its middleware chain once, here
                    servers[name] = {
                        "client": client_serving(),
                        "zappa": zappa_serving(directory),
                    }
            # The lines are written, just not to the terminal, by the handler LOGGING
            # configures (set after Zappa's handler, whose Django setup configures logging).
            from monitoring.logs import JsonStreamHandler

            devnull = JsonStreamHandler(open(os.devnull, "w"))
            for logger_name in ("monitoring.access", ""):
                logging.getLogger(logger_name).handlers = [devnull]
            for name, override in overrides.items():
                with override:
                    for serve in servers[name].values():
                        timed_requests(serve, 50)
            gc.collect()
            gc.freeze()
            for label, path in zip(paths, ("client", "zappa"), strict=True):
                results[label] = paired_ratio(
                    {name: servers[name][path] for name in overrides},
                    overrides,
                    rounds,
                    per_round,
                    clock,
                )
        finally:
            sys.stdout = saved_stdout
    for label, (with_obs, without_obs, ratio) in results.items():
        print(
            f"GET /hello through {label}, {rounds}x{per_round} requests each, sinks={sinks}, "
            f"{'CPU' if args.cpu_time else 'wall'} time"
        )
        print(f"  with access log + metrics: {with_obs:8.1f} µs/request")
        print(f"  without:                   {without_obs:8.1f} µs/request")
        print(f"  ratio: {ratio:.3f} (median of the rounds' ratios; target <= 1.05)")
    imported, baseline = import_cost_ms()
    print(
        f"cold start: importing the observability modules after django.setup(): "
        f"{imported - baseline:.1f} ms (median of 5 fresh processes; target <= 30 ms)"
    )
    print(
        f"tracing: sampled work only imports OpenTelemetry: {tracing_import_cost_ms():.1f} ms "
        "once per process (median of 5); unsampled requests import nothing"
    )
    costs = tracing_request_cost(min(args.requests, 1000))
    print(
        f"tracing per request: off {costs['off']:.1f} µs, unsampled {costs['unsampled']:.1f} µs "
        f"(ratio {costs['unsampled'] / costs['off']:.3f}, target <= 1.02), sampled "
        f"{costs['sampled']:.1f} µs (ratio {costs['sampled'] / costs['off']:.3f}: one span "
        "exported to a loopback collector)"
    )


if __name__ == "__main__":
    main()
