"""Metrics per part without an agent: CloudWatch EMF lines (through Zappa's handler), StatsD
lines over UDP, per-minute rows in the database."""

import io
import json
import logging
import socket

import pytest
from django.db import connection

from benchmarks.lambda_events import api_gateway_event
from monitoring.logs import JsonStreamHandler
from monitoring.metrics import LATENCY_BUCKETS_MS, metrics_flush, percentile_ms
from monitoring.models import MetricMinute


def emf_problems(line: dict) -> list[str]:
    """What the Embedded Metric Format specification requires of a log line
    (docs.aws.amazon.com, "Specification: Embedded metric format")."""
    problems = []
    meta = line.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws object"]
    if not isinstance(meta.get("Timestamp"), int) or meta["Timestamp"] < 0:
        problems.append("_aws.Timestamp must be a non-negative integer (ms since epoch)")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics must be a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            problems.append("Namespace must be a string of 1-255 characters")
        for dimension_set in directive.get("Dimensions", []):
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append("a dimension set must be an array of at most 30 names")
                continue
            for name in dimension_set:
                if not isinstance(line.get(name), str):
                    problems.append(f"dimension {name} must be a string member of the root")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append("Metrics must be an array of 1-100 definitions")
            continue
        for metric in metrics:
            name = metric.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 1024:
                problems.append("a metric Name must be a string of 1-1024 characters")
            elif not isinstance(line.get(name), int | float):
                problems.append(f"metric {name} must be a number member of the root")
            if metric.get("Unit") not in (
                None,
                "Count",
                "Milliseconds",
                "Seconds",
                "Bytes",
                "Percent",
                "None",
            ):
                problems.append(f"unit {metric.get('Unit')} is not a CloudWatch unit")
    return problems


@pytest.mark.django_db
def test_lambda_requests_write_valid_emf_lines(dev_lambda, settings, capfd):
    settings.METRICS_SINKS = ["emf"]
    capfd.readouterr()

    response = dev_lambda.http(api_gateway_event("GET", "/hello?name=Ann"))

    assert response.status_code == 200
    texts = [text for text in capfd.readouterr().out.splitlines() if text.startswith('{"_aws"')]
    [text] = texts
    line = json.loads(text)
    assert emf_problems(line) == []
    assert text == json.dumps(line, separators=(",", ":"))  # compact, in this order
    assert list(line) == ["_aws", "Stage", "Part", "Throughput", "Errors", "Failures", "Latency"]
    assert (line["Part"], line["Stage"], line["Throughput"], line["Errors"]) == (
        "api.hello",
        settings.STAGE,
        1,
        0,
    )
    assert line["Latency"] > 0


@pytest.mark.django_db
def test_where_loggings_handler_writes_the_access_line_it_carries_the_emf_event(
    dev_lambda, settings, capfd
):
    # Given the emf sink, and LOGGING's handler alone on the access logger (as deployed)
    settings.METRICS_SINKS = ["emf"]
    stream = io.StringIO()
    access = logging.getLogger("monitoring.access")
    saved = access.handlers
    access.handlers = [JsonStreamHandler(stream)]
    capfd.readouterr()
    try:
        # When Lambda serves a request
        response = dev_lambda.http(api_gateway_event("GET", "/hello?name=Ann"))
    finally:
        access.handlers = saved

    # Then its one line is both the access line and a valid EMF event: one write, not two
    assert response.status_code == 200
    assert '"_aws"' not in capfd.readouterr().out
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert emf_problems(line) == []
    assert (line["status"], line["route"], line["Part"], line["Stage"]) == (
        200,
        "api.hello",
        "api.hello",
        settings.STAGE,
    )
    assert (line["Throughput"], line["Errors"], line["Failures"]) == (1, 0, 0)
    assert line["Latency"] == line["duration_ms"] > 0


def test_the_emf_validator_catches_what_the_spec_forbids():
    assert emf_problems(
        {
            "_aws": {
                "Timestamp": "now",
                "CloudWatchMetrics": [
                    {"Namespace": "", "Dimensions": [["Part"]], "Metrics": [{"Name": "X"}]}
                ],
            }
        }
    ) == [
        "_aws.Timestamp must be a non-negative integer (ms since epoch)",
        "Namespace must be a string of 1-255 characters",
        "dimension Part must be a string member of the root",
        "metric X must be a number member of the root",
    ]


@pytest.mark.django_db
def test_statsd_lines_reach_a_udp_socket(client, settings):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.METRICS_SINKS = ["statsd"]
    settings.STATSD_HOST, settings.STATSD_PORT = "127.0.0.1", receiver.getsockname()[1]

    client.get("/hello")

    lines = receiver.recv(65535).decode().splitlines()
    receiver.close()
    assert lines[0] == "serverless_handbook.api.hello.throughput:1|c"
    assert lines[-1].startswith("serverless_handbook.api.hello.latency:")
    assert lines[-1].endswith("|ms")


@pytest.mark.django_db
def test_requests_are_counted_per_minute_in_the_database(client, settings, monkeypatch):
    settings.METRICS_SINKS = ["db"]
    settings.METRICS_FLUSH_SECONDS = 3600
    metrics_flush()  # nothing of an earlier test in this process
    for _ in range(3):
        client.get("/hello")

    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:  # the database driver is the third party here
        patch.setattr(connection, "cursor", broken_cursor)
        assert client.get("/health").status_code == 503
    metrics_flush()

    hello = MetricMinute.objects.get(part="api.hello")
    health = MetricMinute.objects.get(part="api.health")
    assert (hello.count, hello.errors, hello.latency_count) == (3, 0, 3)
    assert sum(hello.latency_buckets) == 3
    assert (health.count, health.errors, health.failures) == (1, 1, 1)


def test_percentiles_come_from_the_histogram():
    buckets = [0] * len(LATENCY_BUCKETS_MS)
    buckets[1], buckets[4] = 90, 10  # 90 events <= 10 ms, 10 events <= 100 ms

    assert percentile_ms(buckets, 0.5) == 10
    assert percentile_ms(buckets, 0.95) == 100
    assert percentile_ms([0] * len(LATENCY_BUCKETS_MS), 0.5) is None


EXITING_PROCESS = """
import django
django.setup()
from monitoring.metrics import metric_record
metric_record(part="tests.exit", duration_ms=3.0)
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_process_that_exits_normally_writes_what_it_aggregated(tmp_path):
    # Given a process with the db sink and a flush interval it never reaches
    import os
    import subprocess
    import sys

    from tests.helpers import PROJECT_ROOT, cold_process_environ

    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    environ = {
        **cold_process_environ(tmp_path),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.django.test",
        "METRICS_SINKS": "db",
        "METRICS_FLUSH_SECONDS": "3600",
    }

    # When it records one event and exits
    subprocess.run(
        [sys.executable, "-c", EXITING_PROCESS], cwd=PROJECT_ROOT, env=environ, check=True
    )

    # Then the event is in the database
    row = MetricMinute.objects.get(part="tests.exit")
    assert (row.count, row.latency_count) == (1, 1)
