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
from django.core.signals import setting_changed
from django.dispatch import receiver

from monitoring.logs import json_line
from monitoring.models import MetricMinute

# Upper edges (ms) of the latency histogram kept per minute; percentiles are read from it.
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, math.inf)
EMF_NAMESPACE_DEFAULT = "ServerlessHandbook"


@dataclass(slots=True)
class MinuteAggregate:
    count: int = 0
    errors: int = 0
    failures: int = 0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_MS))

    def add(self, count: int, errors: int, failures: int, duration_ms: float | None) -> None:
        self.count += count
        self.errors += errors
        self.failures += failures
        if duration_ms is not None:
            self.latency_count += 1
            self.latency_sum_ms += duration_ms
            # The first edge >= duration_ms.
            self.buckets[bisect_left(LATENCY_BUCKETS_MS, duration_ms)] += 1


@dataclass(frozen=True)
class _Sinks:
    """What METRICS_SINKS and the sinks' settings say, read once (each `settings.X` costs
    ~0.2 µs, on every request) and read again when a setting changes (tests, override)."""

    emf: bool
    statsd: bool
    db: bool
    flush_seconds: float
    namespace: str
    stage: str


_sinks: _Sinks | None = None


def _sinks_read() -> _Sinks:
    global _sinks
    names = settings.METRICS_SINKS
    _sinks = _Sinks(
        emf="emf" in names,
        statsd="statsd" in names and bool(settings.STATSD_HOST),
        db="db" in names,
        flush_seconds=settings.METRICS_FLUSH_SECONDS,
        namespace=settings.METRICS_NAMESPACE,
        stage=settings.STAGE,
    )
    return _sinks


@receiver(setting_changed)
def _sinks_forget(*, setting: str, **kwargs) -> None:
    global _sinks
    if setting.startswith(("METRICS_", "STATSD_")) or setting == "STAGE":
        _sinks = None


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
    line: dict | None = None,
) -> None:
    """One event of `part`: a request, a queue message, a run's outcome.

    `line`: the JSON log line the caller writes next for the same unit of work (its access
    line, see `info_written_as_json`). The emf sink puts the event's members in it instead of
    writing a line of its own: EMF lets a log line carry other members, so CloudWatch reads
    the same metrics from it, and the request pays one encode and one write, not two."""
    sinks = _sinks or _sinks_read()
    if sinks.emf:
        members = _emf_members(part, count, errors, failures, duration_ms)
        if line is None:
            _emf_write(members)
        else:
            line.update(members)
    if sinks.statsd:
        _statsd_send(
            part=part, count=count, errors=errors, failures=failures, duration_ms=duration_ms
        )
    if sinks.db:
        key = (part, int(time.time()) // 60)
        with _pending_lock:
            aggregate = _pending.get(key)
            if aggregate is None:
                aggregate = _pending[key] = MinuteAggregate()
            aggregate.add(count, errors, failures, duration_ms)
        if time.monotonic() - _last_flush >= sinks.flush_seconds:
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


def _emf_members(part, count, errors, failures, duration_ms) -> dict:
    """One event in the Embedded Metric Format: the `_aws` directive and the root members it
    names (dimensions Stage and Part, the metrics' values)."""
    sinks = _sinks or _sinks_read()
    members = {
        "_aws": {
            "Timestamp": time.time_ns() // 1_000_000,
            "CloudWatchMetrics": _emf_directives(sinks.namespace, duration_ms is not None),
        },
        "Stage": sinks.stage,
        "Part": part,
        "Throughput": count,
        "Errors": errors,
        "Failures": failures,
    }
    if duration_ms is not None:
        members["Latency"] = int(duration_ms * 1000) / 1000  # to the µs, as the access line
    return members


def _emf_write(members: dict) -> None:
    sys.stdout.write(json_line(members) + "\n")
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
