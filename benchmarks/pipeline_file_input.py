"""Benchmark: sumArray over an uploaded file (docs/pipelines.md "Big inputs"), end to end on
PostgreSQL with a real Celery worker on Redis, against INSERT + SUM of the same rows; and the
peak RSS of the web side and of the worker, for each size (flat in the input's size?).

    .venv/bin/python benchmarks/pipeline_file_input.py [--sizes 100000,1000000] [--concurrency 2]

Per size: a file of 12-digit integers (one per line) in a temporary MEDIA_ROOT; the web side
(a process of its own: the upload service streams the file into the media storage as the PUT
view does with its body, then the start service) and a fresh worker process (load, map,
reduce); the run timed from the upload's start to `done`. Needs PostgreSQL
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/sh_pipelines_bench, created
and migrated if missing) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13; a
queue of this run's own). Prints figures and ratios; exits non-zero if a result is not exact.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages
from benchmarks.bench_database import postgres_database_ensure  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sh_pipelines_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
QUEUE = f"pipelines-file-bench-{os.getpid()}"
MEDIA_ROOT = tempfile.mkdtemp(prefix="pipeline-file-bench-")
TARGET_WALL_RATIO = 3.0

WEB_SIDE = r"""
import json, resource, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from pipelines.services.uploads import run_start_from_upload, upload_create, upload_store
user, _ = get_user_model().objects.get_or_create(username="bench")
started = time.perf_counter()
target = upload_create(owner=user, pipeline="sumArray")
with open(sys.argv[1], "rb") as file:  # as the PUT view hands over its request stream
    upload_store(owner=user, pipeline="sumArray", upload_id=target.upload.id, stream=file,
                 content_length=None)
run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=target.upload.id)
print(json.dumps({"run_id": str(run.id), "started": time.time() - (time.perf_counter() - started),
                  "accepted": time.perf_counter() - started,
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def setup_django() -> None:
    os.environ.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "PIPELINE_TRANSPORT": "celery",
            "PIPELINE_CELERY_MAP_QUEUE": QUEUE,
            "PIPELINE_CELERY_REDUCE_QUEUE": QUEUE,
            "MEDIA_ROOT": MEDIA_ROOT,
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_file(size: int) -> tuple[Path, int]:
    rng = random.Random(2026)
    path = Path(MEDIA_ROOT) / f"input-{size}.csv"
    total = 0
    with path.open("w") as file:
        for start in range(0, size, 100_000):
            numbers = [rng.randint(10**11, 10**12 - 1) for _ in range(min(100_000, size - start))]
            total += sum(numbers)
            file.write("\n".join(map(str, numbers)) + "\n")
    return path, 2 * total


def baseline_insert_and_sum(path: Path) -> tuple[float, int]:
    """The same rows INSERTed (1000 per statement) and one SUM, read from the same file."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_file_elements")
        cursor.execute("CREATE TABLE bench_file_elements (id bigserial PRIMARY KEY, value numeric)")
    started = time.perf_counter()
    with connection.cursor() as cursor, path.open() as file:
        rows: list[int] = []
        for line in file:
            rows.append(int(line))
            if len(rows) == 1000:
                cursor.execute(
                    "INSERT INTO bench_file_elements (value) VALUES "  # noqa: S608
                    + ",".join(["(%s)"] * len(rows)),
                    rows,
                )
                rows = []
        if rows:
            cursor.execute(
                "INSERT INTO bench_file_elements (value) VALUES "  # noqa: S608
                + ",".join(["(%s)"] * len(rows)),
                rows,
            )
        cursor.execute("SELECT SUM(2 * value) FROM bench_file_elements")
        total = int(cursor.fetchone()[0])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_file_elements")
    return elapsed, total


def peak_rss_kb(pid: int) -> int:
    """VmHWM (peak resident set) of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def run_pipeline(path: Path, concurrency: int) -> dict:
    from pipelines import exact_json
    from pipelines.models import PipelineRun

    log_path = Path(MEDIA_ROOT) / f"worker-{path.stem}.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(concurrency),
                "--queues",
                QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: len(children_of(worker.pid)) >= concurrency, 60, "worker start")
        time.sleep(2)
        web = subprocess.run(
            [sys.executable, "-c", WEB_SIDE, str(path)],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
        )
        started = json.loads(web.stdout.strip().splitlines()[-1])
        wait_until(
            lambda: PipelineRun.objects.filter(
                id=started["run_id"], state__in=["done", "failed"]
            ).exists(),
            3600,
            "run finished",
            interval=0.05,
        )
        elapsed = time.time() - started["started"]
        run = PipelineRun.objects.select_related("result").get(id=started["run_id"])
        worker_rss = {pid: peak_rss_kb(pid) for pid in [worker.pid, *children_of(worker.pid)]}
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return {
        "elapsed": elapsed,
        "accepted": started["accepted"],
        "state": run.state,
        "result": exact_json.loads(run.result.value_json),
        "packets": run.packet_count,
        "elements": run.element_count,
        "web_rss_kb": started["peak_rss_kb"],
        "worker_rss_kb": worker_rss,
        "failure": run.failure_reason,
    }


def wait_until(condition, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    postgres_database_ensure(DATABASE_URL)
    setup_django()
    ok = True
    rss: dict[int, tuple[int, int]] = {}
    for size in [int(size) for size in args.sizes.split(",")]:
        path, expected = write_file(size)
        baseline_seconds, baseline_total = baseline_insert_and_sum(path)
        ours = run_pipeline(path, args.concurrency)
        exact = ours["state"] == "done" and ours["result"] == expected == baseline_total
        ok = ok and exact
        ratio = ours["elapsed"] / baseline_seconds
        worker_peak = max(ours["worker_rss_kb"].values())
        rss[size] = (ours["web_rss_kb"], worker_peak)
        print(
            f"sumArray from a file, {size} elements ({path.stat().st_size} bytes), "
            f"PostgreSQL, Celery on Redis ({args.concurrency} processes)"
        )
        print(f"  result exact:                 {exact} ({ours['state']} {ours['failure']})")
        print(
            f"  ours: upload to done          {ours['elapsed']:.2f} s (upload + POST "
            f"{ours['accepted']:.2f} s; {ours['packets']} packets)"
        )
        print(f"  INSERT + SUM same rows:       {baseline_seconds:.2f} s")
        print(f"  ratio ours / baseline:        {ratio:.2f}x (target <= {TARGET_WALL_RATIO}x)")
        print(f"  peak RSS web side:            {ours['web_rss_kb'] / 1024:.1f} MiB")
        print(
            "  peak RSS worker processes:    "
            + ", ".join(f"{kb / 1024:.1f}" for kb in ours["worker_rss_kb"].values())
            + " MiB"
        )
        path.unlink()
    sizes = sorted(rss)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(
            f"peak RSS {large} vs {small} elements: web {rss[large][0] / rss[small][0]:.2f}x, "
            f"worker {rss[large][1] / rss[small][1]:.2f}x (flat: about 1x)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
