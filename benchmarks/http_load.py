"""HTTP throughput of the workers mode: 32 concurrent keep-alive clients against
`GET /item/{id}` and `POST /item` on gunicorn (scripts/web, config/gunicorn.conf.py,
config.django.workers, PostgreSQL), each for 30 s: requests per second, p50/p99 latency and
errors (target: 0). Baseline, same run, same server and load: `GET /hello` (a view that touches
neither the database nor the JWT), so the ratio is what the items API costs over the stack.

The load generator is plain Python (threads, http.client keep-alive, spread over processes so
one GIL is not the ceiling): it runs anywhere, but shares the machine's cores with gunicorn
and PostgreSQL, so absolute figures understate a server whose clients are elsewhere.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh_bench .venv/bin/python \\
        benchmarks/http_load.py [--seconds 30] [--clients 32] [--processes 2]

It creates (and drops) a database of its own on DATABASE_URL's server, runs scripts/migrate,
creates a user with manage.py, and starts scripts/web on a free loopback port.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from threading import Thread
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
USERNAME = "loadtest"
PASSWORD = "http-load-" + secrets.token_urlsafe(12)


# --- the load generator ------------------------------------------------------------------


def _client(port, phase, headers, item_ids, deadline, results):
    """One keep-alive client: requests back to back until the deadline."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, reconnects = [], 0, 0
    body = json.dumps({"name": "load", "body": "x" * 200, "tags": ["a", "b"]})
    while time.monotonic() < deadline:
        if phase == "GET /item/{id}":
            method, path, payload = "GET", f"/item/{random.choice(item_ids)}", None
        elif phase == "POST /item":
            method, path, payload = "POST", "/item", body
        else:
            method, path, payload = "GET", "/hello?name=Ann", None
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection (a recycled worker) before
                # reading this request: reconnect and send it again, as HTTP clients do.
                connection.close()
                if attempt == 2:
                    response = None
                reconnects += 1
        latencies.append(time.perf_counter() - started)
        if response is None or response.status != 200:
            errors += 1
    connection.close()
    results.append((latencies, errors, reconnects))


def _load_process(port, phase, headers, item_ids, clients, start_at, seconds):
    """`clients` threads in this process, all starting at `start_at` (time.monotonic)."""
    time.sleep(max(0.0, start_at - time.monotonic()))
    results = []
    threads = [
        Thread(target=_client, args=(port, phase, headers, item_ids, start_at + seconds, results))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = [value for result in results for value in result[0]]
    return latencies, sum(r[1] for r in results), sum(r[2] for r in results)


def run_phase(pool, port, phase, headers, item_ids, *, clients, processes, seconds):
    start_at = time.monotonic() + 0.5
    per_process = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    futures = [
        pool.submit(_load_process, port, phase, headers, item_ids, n, start_at, seconds)
        for n in per_process
    ]
    latencies, errors, reconnects = [], 0, 0
    for future in futures:
        part, part_errors, part_reconnects = future.result()
        latencies += part
        errors += part_errors
        reconnects += part_reconnects
    latencies.sort()
    return {
        "phase": phase,
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
        "reconnects": reconnects,
    }


# --- the server under test ---------------------------------------------------------------


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_on_server(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}", query=""))


def request_json(port, method, path, payload=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(payload) if payload is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)


def wait_until_serving(port, web, log_path, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"scripts/web exited:\n{log_path.read_text()[-3000:]}")
        try:
            request_json(port, "GET", "/health")
            return
        except (OSError, RuntimeError):
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer:\n{log_path.read_text()[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="load generator processes the clients are spread over",
    )
    parser.add_argument("--items", type=int, default=500, help="items GET picks from")
    args = parser.parse_args()

    import psycopg

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://...: the workers mode runs on PostgreSQL.")
    name = f"bench_http_load_{uuid.uuid4().hex[:8]}"
    maintenance = database_on_server(database_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    port = free_loopback_port()
    state = Path(tempfile.mkdtemp(prefix="http_load_"))
    environment = {
        **os.environ,
        "DATABASE_URL": database_on_server(database_url, name),
        # Settings require a broker; these endpoints never send a task.
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "false",
        "STATE_DIR": str(state),
        "STATIC_ROOT": str(state / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": os.environ.get("GUNICORN_ACCESS_LOG", "true"),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = state / "web.log"
    web = None
    try:
        subprocess.run(
            [str(ROOT / "scripts" / "migrate"), "-v0"], cwd=ROOT, env=environment, check=True
        )
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "manage.py",
                "createsuperuser",
                "--noinput",
                "--username",
                USERNAME,
                "--email",
                "load@example.com",
            ],
            cwd=ROOT,
            check=True,
            env={
                **environment,
                "DJANGO_SETTINGS_MODULE": "config.django.workers",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            },
        )
        web = subprocess.Popen(
            [str(ROOT / "scripts" / "web")],
            cwd=ROOT,
            env=environment,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_serving(port, web, log_path)
        token = request_json(port, "POST", "/login", {"username": USERNAME, "password": PASSWORD})[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        item_ids = [
            request_json(port, "POST", "/item", {"name": f"item {i}"}, headers)["item"]["itemId"]
            for i in range(args.items)
        ]

        cores = os.cpu_count()
        print(
            f"gunicorn: WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', 2 * cores + 1)} "
            f"processes x GUNICORN_THREADS={os.environ.get('GUNICORN_THREADS', 4)} threads, "
            f"access log {environment['GUNICORN_ACCESS_LOG']}; {args.clients} clients in "
            f"{args.processes} processes; {cores} cores shared by server, PostgreSQL and "
            f"load generator; {args.seconds:.0f} s per phase"
        )
        phases = ["GET /hello (baseline)", "GET /item/{id}", "POST /item"]
        context = multiprocessing.get_context("fork")
        results = {}
        with ProcessPoolExecutor(args.processes, mp_context=context) as pool:
            # A short warm-up: every gunicorn worker imports the views and opens its connection.
            for phase in phases:
                run_phase(
                    pool,
                    port,
                    phase,
                    headers,
                    item_ids,
                    clients=args.clients,
                    processes=args.processes,
                    seconds=2,
                )
            for phase in phases:
                results[phase] = run_phase(
                    pool,
                    port,
                    phase,
                    headers,
                    item_ids,
                    clients=args.clients,
                    processes=args.processes,
                    seconds=args.seconds,
                )
        baseline = results[phases[0]]
        print(
            f"{'phase':<24}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'errors':>8}{'reconn':>8}{'req/s vs baseline':>19}"
        )
        for phase in phases:
            r = results[phase]
            print(
                f"{phase:<24}{r['requests']:>10}{r['rps']:>10.0f}{r['p50_ms']:>9.1f}"
                f"{r['p99_ms']:>9.1f}{r['errors']:>8}{r['reconnects']:>8}"
                f"{r['rps'] / baseline['rps']:>18.2f}x"
            )
        errors = sum(r["errors"] for r in results.values())
        print(f"errors: {errors} (target 0)")
        if errors:
            sys.exit(1)
    finally:
        if web is not None and web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
