"""A unit of work outside a request (a scheduled job, a queue message) leaves one access line
and one metric event, as a request does (docs/monitoring.md, "Logs" and "Metrics")."""

import re

import pytest

from monitoring.jobs import scheduled_job_run
from monitoring.metrics import metric_record
from monitoring.models import MetricMinute
from monitoring.request_context import current_invocation_id, current_request_id
from monitoring.tasks import alarms

pytestmark = pytest.mark.django_db


def test_a_scheduled_job_leaves_one_access_line_and_one_metric_event(access_lines, metric_events):
    # Given a job that sees its own ids
    seen = {}

    def job():
        seen.update(request_id=current_request_id.get(), invocation=current_invocation_id.get())
        return {"done": 3}

    # When it runs as a scheduled job of an invocation
    result = scheduled_job_run("demo", job, invocation_id="invocation-7")

    # Then it ran with a request id of its own and the invocation's id, and was observed once
    assert result == {"done": 3}
    assert re.fullmatch(r"[0-9a-f]{32}", seen["request_id"])
    assert seen["invocation"] == "invocation-7"
    [line] = access_lines
    assert (line["message"], line["route"], line["outcome"]) == (
        "scheduled demo ok",
        "jobs.demo",
        "ok",
    )
    assert line["duration_ms"] >= 0
    assert (line["request_id"], line["invocation_id"]) == (seen["request_id"], "invocation-7")
    assert metric_events("jobs.demo") == (1, 0, 0)
    assert (current_request_id.get(), current_invocation_id.get()) == (None, None)


def test_a_failed_scheduled_job_is_an_error_and_a_failure(access_lines, metric_events):
    def job():
        raise LookupError("gone")

    with pytest.raises(LookupError):
        scheduled_job_run("demo", job)

    [line] = access_lines
    assert line["message"] == "scheduled demo error: LookupError"
    assert line["outcome"] == "error: LookupError"
    # A scheduled run is not retried: its error is also a failure (a run that never succeeded)
    assert metric_events("jobs.demo") == (1, 1, 1)


def test_the_alarms_task_counts_its_workers_own_events_first(access_lines, metric_events):
    # Given an event this worker recorded but has not written yet
    metric_record(part="api.items", errors=1, failures=1, duration_ms=3.0)

    # When beat runs the alarms as a Celery task
    alarms.apply(task_id="task-alarms").get()

    # Then the event was written before the rules read the rows, and the run was observed
    assert MetricMinute.objects.filter(part="api.items").exists()
    [line] = access_lines
    assert (line["route"], line["outcome"], line["invocation_id"]) == (
        "jobs.monitoring.alarms",
        "ok",
        "task-alarms",
    )
    assert metric_events("jobs.monitoring.alarms") == (1, 0, 0)
