"""A real Celery worker (`config.celery`) that also counts its database round trips, for
benchmarks/pipeline_sum_array.py. Every pool process appends its counts to
$PIPELINE_BENCH_COUNTS_DIR/<pid>.json after each task.

Round trips: each SQL statement is one; a transaction adds two more (BEGIN and COMMIT).
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django

django.setup()

from celery.signals import task_postrun, worker_process_init  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402

from config.celery import app  # noqa: E402

COUNTS = {"statements": 0, "transactions": 0, "tasks": 0}


def count_statement(execute, sql, params, many, context):
    COUNTS["statements"] += 1
    return execute(sql, params, many, context)


_commit = BaseDatabaseWrapper.commit


def counting_commit(self):
    COUNTS["transactions"] += 1
    return _commit(self)


@worker_process_init.connect
def install_counters(**_):
    BaseDatabaseWrapper.commit = counting_commit
    connection.execute_wrappers.append(count_statement)


@task_postrun.connect
def flush_counts(**_):
    COUNTS["tasks"] += 1
    directory = Path(os.environ["PIPELINE_BENCH_COUNTS_DIR"])
    (directory / f"{os.getpid()}.json").write_text(json.dumps(COUNTS))


if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
