"""Metrics per part of the system (throughput, errors, failures, latency) for the sinks named
in METRICS_SINKS: EMF lines on stdout, StatsD over UDP, per-minute database rows
(docs/monitoring.md, "Metrics"). It runs on every request: cheap imports, cheap work."""

import atexit
import logging
import math
import socket
import sys
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings

from monitoring.logs import json_line
from monitoring.models import MetricMinute

# Upper edges (ms) of the latency histogram kept per minute; percentiles are read from it.
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, math.inf)
EMF_NAMESPACE_DEFAULT = "ServerlessHandbook"


@dataclass
class MinuteAggregate:
    count: int = 0
    errors: int = 0
    failures: int = 0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_MS))

    def add(self, *, count: int, errors: int, failures: int, duration_ms: float | None) -> None:
        self.count += count
        self.errors += errors
        self.failures += failures
        if duration_ms is not None:
            self.latency_count += 1
            self.latency_sum_ms += duration_ms
            self.buckets[bucket_index(duration_ms)] += 1


def bucket_index(duration_ms: float) -> int:
    return bisect_left(LATENCY_BUCKETS_MS, duration_ms)  # the first edge >= duration_ms


_pending: dict[tuple[str, int], MinuteAggregate] = {}
_pending_lock = threading.Lock()
_last_flush = time.monotonic()
_statsd_socket: socket.socket | None = None


def metric_record(
    *,
    part: str,
    count: int = 1,
    errors: int = 0,
    failures: int = 0,
    duration_ms: float | None = None,
) -> None:
    """One event of `part`: a request, a queue message, a run's outcome."""
    sinks = settings.METRICS_SINKS
    if not sinks:
        return
    if "emf" in sinks:
        _emf_write(
            part=part, count=count, errors=errors, failures=failures, duration_ms=duration_ms
        )
    if "statsd" in sinks and settings.STATSD_HOST:
        _statsd_send(
            part=part, count=count, errors=errors, failures=failures, duration_ms=duration_ms
        )
    if "db" in sinks:
        key = (part, int(time.time() // 60))
        with _pending_lock:
            aggregate = _pending.get(key)
            if aggregate is None:
                aggregate = _pending[key] = MinuteAggregate()
            aggregate.add(count=count, errors=errors, failures=failures, duration_ms=duration_ms)
        if time.monotonic() - _last_flush >= settings.METRICS_FLUSH_SECONDS:
            metrics_flush()


def _flush_at_exit() -> None:
    """A process that exits normally writes what it aggregated; a crash loses at most the last
    METRICS_FLUSH_SECONDS of its own events."""
    try:
        if "db" in settings.METRICS_SINKS:
            metrics_flush()
    except Exception:  # the database may be gone first: say so, never fail the exit
        logging.getLogger(__name__).warning("metrics not written at exit", exc_info=True)


atexit.register(_flush_at_exit)


def metrics_flush() -> int:
    """Write what this process aggregated to the database; returns the rows written."""
    global _last_flush
    with _pending_lock:
        pending = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if not pending:
        return 0
    MetricMinute.objects.bulk_create(
        [
            MetricMinute(
                part=part,
                minute=datetime.fromtimestamp(minute * 60, UTC),
                count=aggregate.count,
                errors=aggregate.errors,
                failures=aggregate.failures,
                latency_count=aggregate.latency_count,
                latency_sum_ms=aggregate.latency_sum_ms,
                latency_buckets=aggregate.buckets,
            )
            for (part, minute), aggregate in pending.items()
        ]
    )
    return len(pending)


@lru_cache(maxsize=8)
def _emf_directives(namespace: str, with_latency: bool) -> list[dict]:
    """The part of an EMF line that names its metrics: the same for every event of a process,
    so built once (only encoded per line, never changed)."""
    metrics = [
        {"Name": "Throughput", "Unit": "Count"},
        {"Name": "Errors", "Unit": "Count"},
        {"Name": "Failures", "Unit": "Count"},
    ]
    if with_latency:
        metrics.append({"Name": "Latency", "Unit": "Milliseconds"})
    return [{"Namespace": namespace, "Dimensions": [["Stage", "Part"]], "Metrics": metrics}]


def _emf_write(*, part, count, errors, failures, duration_ms) -> None:
    line = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": _emf_directives(
                settings.METRICS_NAMESPACE, duration_ms is not None
            ),
        },
        "Stage": settings.STAGE,
        "Part": part,
        "Throughput": count,
        "Errors": errors,
        "Failures": failures,
    }
    if duration_ms is not None:
        line["Latency"] = round(duration_ms, 3)
    sys.stdout.write(json_line(line) + "\n")
    sys.stdout.flush()


def statsd_lines(*, part, count, errors, failures, duration_ms) -> list[str]:
    """The book's StatsD lines: counters (`|c`) and a timing (`|ms`) per part."""
    prefix = f"{settings.STATSD_PREFIX}.{part}"
    lines = [f"{prefix}.throughput:{count}|c"]
    if errors:
        lines.append(f"{prefix}.errors:{errors}|c")
    if failures:
        lines.append(f"{prefix}.failures:{failures}|c")
    if duration_ms is not None:
        lines.append(f"{prefix}.latency:{duration_ms:.3f}|ms")
    return lines


def _statsd_send(**event) -> None:
    global _statsd_socket
    if _statsd_socket is None:
        _statsd_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = "\n".join(statsd_lines(**event)).encode()
    try:
        _statsd_socket.sendto(payload, (settings.STATSD_HOST, settings.STATSD_PORT))
    except OSError:
        pass  # metrics never break the request they describe


def percentile_ms(buckets: list[int], fraction: float) -> float | None:
    """The upper edge of the bucket holding the given fraction of the events."""
    total = sum(buckets)
    if not total:
        return None
    target = fraction * total
    running = 0
    for edge, amount in zip(LATENCY_BUCKETS_MS, buckets, strict=True):
        running += amount
        if running >= target:
            return edge if edge != math.inf else LATENCY_BUCKETS_MS[-2]
    return LATENCY_BUCKETS_MS[-2]
