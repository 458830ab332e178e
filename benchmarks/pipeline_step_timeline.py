"""A real Celery worker (`config.celery`) that records every pipeline step it runs, for
benchmarks/pipeline_file_input.py: one JSON line per task in
$PIPELINE_BENCH_TIMELINE_DIR/<pid>.jsonl with its id, the id of the task that sent it
(Celery's parent_id: None for messages the web side sent), its step, and when it ran.

The chain of parent ids is the run's critical path: its length is the number of sequential
steps, whatever ran in parallel beside it.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django

django.setup()

from celery.signals import task_postrun, task_prerun  # noqa: E402

from config.celery import app  # noqa: E402

STARTED: dict[str, float] = {}


@task_prerun.connect
def step_started(task_id=None, **_):
    STARTED[task_id] = time.time()


@task_postrun.connect
def step_finished(task_id=None, task=None, args=None, **_):
    step, body = (args or [None, "{}"])[:2]
    record = {
        "id": task_id,
        "parent": task.request.parent_id if task else None,
        "step": step,
        "range": '"range"' in body,
        "start": STARTED.pop(task_id, None),
        "end": time.time(),
        "pid": os.getpid(),
    }
    directory = Path(os.environ["PIPELINE_BENCH_TIMELINE_DIR"])
    with (directory / f"{os.getpid()}.jsonl").open("a") as file:
        file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
