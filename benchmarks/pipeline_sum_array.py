"""Benchmark: the sumArray pipeline end to end on PostgreSQL with the Celery transport (a real
worker on Redis), against (a) the book's design, counted, and (b) INSERT + one SQL SUM.

    .venv/bin/python benchmarks/pipeline_sum_array.py [--elements 100000] [--concurrency 4]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
sh_pipelines_bench, created and migrated if missing) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/13; the run uses a queue of its own). Prints figures and ratios;
exits non-zero if the result is not exact or a target is missed.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages
from benchmarks.bench_database import postgres_database_ensure  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sh_pipelines_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# A queue of this run's own, so nothing else on the Redis database interferes.
QUEUE = f"pipelines-bench-{os.getpid()}"
TARGET_MESSAGES_PER_ELEMENT = 0.02
TARGET_WALL_RATIO = 10.0


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    os.environ["PIPELINE_TRANSPORT"] = "celery"
    os.environ["PIPELINE_CELERY_MAP_QUEUE"] = QUEUE
    os.environ["PIPELINE_CELERY_REDUCE_QUEUE"] = QUEUE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_array(size: int) -> list:
    rng = random.Random(2026)
    # Two thirds integers up to 10^12, one third decimals with three places.
    return [
        Decimal(rng.randint(-(10**9), 10**9)) / 1000
        if i % 3 == 0
        else rng.randint(-(10**12), 10**12)
        for i in range(size)
    ]


# --- (b) INSERT the same rows + one SUM -----------------------------------------------------


def baseline_insert_and_sum(array: list) -> tuple[float, Decimal, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_elements")
        cursor.execute("CREATE TABLE bench_elements (id bigserial PRIMARY KEY, value numeric)")
    # Multi-row INSERTs of 1000 rows each (as fast as plain INSERT gets), then one SUM.
    batch = 1000
    started = time.perf_counter()
    statements = 0
    with connection.cursor() as cursor:
        for start in range(0, len(array), batch):
            rows = array[start : start + batch]
            cursor.execute(
                "INSERT INTO bench_elements (value) VALUES "  # noqa: S608 (placeholders only)
                + ",".join(["(%s)"] * len(rows)),
                rows,
            )
            statements += 1
        cursor.execute("SELECT SUM(2 * value) FROM bench_elements")
        total = cursor.fetchone()[0]
        statements += 1
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_elements")
    return elapsed, total, statements


# --- (a) the book's design, counted ---------------------------------------------------------


def book_design_counts(size: int) -> dict:
    """The book: sumArray sends one message per element to timesTwo; each timesTwo writes its
    value to the scratchpad; a reducer triggered per write scans for two rows, writes their
    sum and deletes both, until one row is left: n-1 reductions, each a message (the trigger),
    a scan and a transactional write."""
    map_messages, reduce_messages = size, size - 1
    round_trips = size * 1 + (size - 1) * 2
    return {"messages": map_messages + reduce_messages, "round_trips": round_trips}


# --- ours ----------------------------------------------------------------------------------


def run_pipeline(array: list, concurrency: int) -> dict:
    import redis
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from pipelines import exact_json
    from pipelines.models import PipelineRun
    from pipelines.services.runs import run_start

    user_model = __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model()
    user, _ = user_model.objects.get_or_create(username="bench")
    counts_dir = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    log_path = counts_dir / "worker.log"
    env = {
        **os.environ,
        "PIPELINE_BENCH_COUNTS_DIR": str(counts_dir),
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
    }
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "pipeline_counting_worker.py"),
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--queues",
                QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: b"ready." in log_path.read_bytes(), 60, "worker start")
        producer = {"statements": 0, "transactions": 0}

        def count_statement(execute, sql, params, many, context):
            producer["statements"] += 1
            return execute(sql, params, many, context)

        commit = BaseDatabaseWrapper.commit

        def counting_commit(self):
            producer["transactions"] += 1
            return commit(self)

        BaseDatabaseWrapper.commit = counting_commit
        started = time.perf_counter()
        with connection.execute_wrapper(count_statement):
            run = run_start(owner=user, pipeline="sumArray", elements=array).run
        accepted = time.perf_counter() - started
        BaseDatabaseWrapper.commit = commit
        wait_until(
            lambda: PipelineRun.objects.filter(id=run.id, state="done").exists(),
            600,
            "run done",
            interval=0.005,
        )
        elapsed = time.perf_counter() - started
        run = PipelineRun.objects.select_related("result").get(id=run.id)
        result = exact_json.loads(run.result.value_json)
        # The run is done; the no-op reduce messages still queued count as sent too.
        broker = redis.Redis.from_url(REDIS_URL)

        def drained() -> bool:
            log_text = log_path.read_text(errors="replace")
            return broker.llen(QUEUE) == 0 and log_text.count(" received") == (
                log_text.count(" succeeded in ")
            )

        wait_until(drained, 60, "queue drained", interval=0.2)
        time.sleep(0.3)  # the last tasks flush their counts
    finally:
        worker.terminate()  # warm shutdown of the main process
        worker.wait(timeout=30)
    worker_counts = [json.loads(path.read_text()) for path in counts_dir.glob("*.json")]
    tasks = sum(count["tasks"] for count in worker_counts)
    statements = sum(count["statements"] for count in worker_counts) + producer["statements"]
    transactions = sum(count["transactions"] for count in worker_counts) + producer["transactions"]
    return {
        "elapsed": elapsed,
        "accepted": accepted,
        "result": result,
        "packets": run.packet_count,
        "messages": tasks,
        "round_trips": statements + 2 * transactions,
        "statements": statements,
        "transactions": transactions,
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
    parser.add_argument("--elements", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    postgres_database_ensure(DATABASE_URL)
    setup_django()
    array = make_array(args.elements)
    expected = sum(2 * x for x in array)
    n = len(array)

    baseline_seconds, baseline_total, baseline_trips = baseline_insert_and_sum(array)
    book = book_design_counts(n)
    ours = run_pipeline(array, args.concurrency)

    exact = ours["result"] == expected and baseline_total == expected
    messages_per_element = ours["messages"] / n
    wall_ratio = ours["elapsed"] / baseline_seconds
    print(f"sumArray, {n} elements, PostgreSQL, Celery on Redis ({args.concurrency} processes)")
    print(f"  result exact:                     {exact} ({ours['result']})")
    print(
        f"  ours: wall time end to end        {ours['elapsed']:.3f} s "
        f"(POST accepted in {ours['accepted']:.3f} s; {ours['packets']} packets)"
    )
    print(
        f"  ours: messages                    {ours['messages']} = "
        f"{messages_per_element:.4f} per element (target <= {TARGET_MESSAGES_PER_ELEMENT})"
    )
    print(
        f"  ours: DB round trips              {ours['round_trips']} = "
        f"{ours['round_trips'] / n:.4f} per element ({ours['statements']} statements, "
        f"{ours['transactions']} transactions)"
    )
    print(
        f"  (a) book's design, counted:       {book['messages']} messages = "
        f"{book['messages'] / n:.2f} per element; {book['round_trips']} round trips = "
        f"{book['round_trips'] / n:.2f} per element"
    )
    print(
        f"  (b) INSERT {n} rows + SQL SUM:  {baseline_seconds:.3f} s ({baseline_trips} statements)"
    )
    print(f"  ratio ours / (b) wall time:       {wall_ratio:.2f}x (target <= {TARGET_WALL_RATIO}x)")
    print(f"  ratio (a) / ours messages:        {book['messages'] / ours['messages']:.0f}x fewer")
    print(
        f"  ratio (a) / ours round trips:     "
        f"{book['round_trips'] / ours['round_trips']:.0f}x fewer"
    )
    ok = (
        exact
        and messages_per_element <= TARGET_MESSAGES_PER_ELEMENT
        and wall_ratio <= TARGET_WALL_RATIO
    )
    print("  targets met" if ok else "  TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
