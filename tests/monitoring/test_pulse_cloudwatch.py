"""On AWS stages the pulse dashboard reads the EMF metrics back from CloudWatch
(GetMetricData against moto's server), cached per process."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from monitoring.dashboard import pulse

pytestmark = pytest.mark.django_db


@pytest.fixture
def cloudwatch_metrics(aws, settings):
    """A namespace of this test's own in moto's CloudWatch, as EMF lines would fill it."""
    settings.PULSE_SOURCE = "cloudwatch"
    # moto answers 500 to percentile statistics (it computes none); AWS computes p50/p95.
    settings.PULSE_LATENCY_STATISTICS = ["Average", "Maximum"]
    settings.METRICS_NAMESPACE = f"HandbookTest{uuid.uuid4().hex[:8]}"
    settings.STAGE = f"test-{uuid.uuid4().hex[:8]}"  # moto filters by dimensions only
    cache.clear()
    client = aws.client("cloudwatch")

    def put(part: str, minutes_ago: int, **values) -> None:
        at = timezone.now() - timedelta(minutes=minutes_ago)
        client.put_metric_data(
            Namespace=settings.METRICS_NAMESPACE,
            MetricData=[
                {
                    "MetricName": name,
                    "Timestamp": at,
                    "Value": value,
                    "Unit": "Milliseconds" if name == "Latency" else "Count",
                    "Dimensions": [
                        {"Name": "Stage", "Value": settings.STAGE},
                        {"Name": "Part", "Value": part},
                    ],
                }
                for name, value in values.items()
            ],
        )

    yield put
    cache.clear()


def series_of(data: dict, title: str) -> dict[str, list]:
    [chart] = [chart for chart in data["charts"] if chart.title == title]
    return {series.part: series.values for series in chart.series}


def test_the_dashboard_draws_cloudwatchs_metrics(cloudwatch_metrics):
    for _ in range(4):
        cloudwatch_metrics("api.items", 10, Throughput=1, Errors=0, Failures=0, Latency=12)
    cloudwatch_metrics("api.items", 10, Throughput=1, Errors=1, Failures=1, Latency=80)
    cloudwatch_metrics("api.graphql", 3, Throughput=1, Errors=0, Failures=0, Latency=30)

    data = pulse(range_name="hour")

    throughput = series_of(data, "Throughput")
    assert set(throughput) == {"api.items", "api.graphql"}
    assert sum(throughput["api.items"]) == 5 and sum(throughput["api.graphql"]) == 1
    error_rates = [rate for rate in series_of(data, "Error rate")["api.items"] if rate]
    assert error_rates == [0.2]
    assert data["totals"][0] == ("api.items", 5)
    assert [value for value in series_of(data, "Latency p95")["api.items"] if value] == [80]


def test_a_refresh_within_the_cache_time_makes_no_new_call(cloudwatch_metrics):
    cloudwatch_metrics("api.items", 5, Throughput=3, Errors=0, Failures=0, Latency=10)
    first = sum(series_of(pulse(range_name="hour"), "Throughput")["api.items"])

    cloudwatch_metrics("api.items", 4, Throughput=7, Errors=0, Failures=0, Latency=10)
    again = sum(series_of(pulse(range_name="hour"), "Throughput")["api.items"])
    cache.clear()
    fresh = sum(series_of(pulse(range_name="hour"), "Throughput")["api.items"])

    assert (first, again, fresh) == (3, 3, 10)


def test_the_admin_page_renders_from_cloudwatch(cloudwatch_metrics, admin_client):
    cloudwatch_metrics("pipelines.sumArray", 20, Throughput=9, Errors=0, Failures=0, Latency=5)

    response = admin_client.get("/admin/monitoring/metricminute/?range=day")

    assert response.status_code == 200
    assert b'data-part="pipelines.sumArray"' in response.content
