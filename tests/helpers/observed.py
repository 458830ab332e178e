"""Fixtures for tests of observed units of work: the access lines they wrote and the metric
events they recorded (monitoring/jobs.py)."""

import pytest
from django.db.models import Sum

from monitoring.metrics import metrics_flush
from monitoring.models import MetricMinute
from tests.helpers.json_log_lines import json_lines_of


@pytest.fixture
def access_lines():
    with json_lines_of("monitoring.access") as lines:
        yield lines


@pytest.fixture
def metric_events(settings):
    """The metric events a part recorded while the test ran: (count, errors, failures)."""
    settings.METRICS_SINKS = ["db"]
    metrics_flush()  # nothing of an earlier test in this process

    def events_of(part: str) -> tuple[int, int, int]:
        metrics_flush()
        totals = MetricMinute.objects.filter(part=part).aggregate(
            count=Sum("count"), errors=Sum("errors"), failures=Sum("failures")
        )
        return totals["count"], totals["errors"], totals["failures"]

    return events_of
