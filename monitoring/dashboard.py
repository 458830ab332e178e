"""The pulse dashboard's data: throughput, error rate, failure rate and p50/p95 latency per
part over the last hour, day or week, drawn as SVG polylines on the server (no chart
library, no CDN, nothing for the browser to fetch). From the database's per-minute rows
(PULSE_SOURCE=db: local, workers) or CloudWatch (PULSE_SOURCE=cloudwatch: AWS stages)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring.metrics import LATENCY_BUCKETS_MS, percentile_ms
from monitoring.models import AlarmIncident, MetricMinute
from monitoring.registry import gauges

RANGES = {  # name -> (span, bucket width)
    "hour": (timedelta(hours=1), timedelta(minutes=1)),
    "day": (timedelta(days=1), timedelta(minutes=15)),
    "week": (timedelta(days=7), timedelta(hours=2)),
}
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"]
WIDTH, HEIGHT, PAD = 640, 160, 4
MAX_PARTS = 6


@dataclass
class Series:
    part: str
    color: str
    values: list[float | None]
    points: str  # SVG polyline points


@dataclass
class Chart:
    title: str
    unit: str
    series: list[Series]
    top: float


def _bucketed(rows, start, width, buckets: int):
    per_part: dict[str, list[dict]] = defaultdict(
        lambda: [
            {"count": 0, "errors": 0, "failures": 0, "latency": [0] * len(LATENCY_BUCKETS_MS)}
            for _ in range(buckets)
        ]
    )
    for row in rows:
        index = min(int((row["minute"] - start) / width), buckets - 1)
        cell = per_part[row["part"]][index]
        cell["count"] += row["count"]
        cell["errors"] += row["errors"]
        cell["failures"] += row["failures"]
        for position, amount in enumerate(row["latency_buckets"] or []):
            cell["latency"][position] += amount
    return per_part


def _points(values: list[float | None], top: float) -> str:
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        y = HEIGHT - PAD - (value / top if top else 0) * (HEIGHT - 2 * PAD)
        points.append(f"{PAD + index * step:.1f},{y:.1f}")
    return " ".join(points)


def _chart(title: str, unit: str, parts: list[str], values_of) -> Chart:
    raw = {part: values_of(part) for part in parts}
    top = (
        max([value for values in raw.values() for value in values if value is not None] or [0]) or 1
    )
    return Chart(
        title,
        unit,
        [
            Series(part, PALETTE[index % len(PALETTE)], values, _points(values, top))
            for index, (part, values) in enumerate(raw.items())
        ],
        top,
    )


def _latency(cell: dict, fraction: float, name: str) -> float | None:
    """CloudWatch's own percentile where it computed one, else our histogram's estimate."""
    if name in cell:
        return cell[name]
    return percentile_ms(cell["latency"], fraction)


def pulse(*, range_name: str = "hour", now=None) -> dict:
    span, width = RANGES.get(range_name, RANGES["hour"])
    now = now or timezone.now()
    buckets = int(span / width)
    if settings.PULSE_SOURCE == "cloudwatch":
        # Only AWS stages read CloudWatch; the admin imports this module at every start.
        from monitoring.cloudwatch import cloudwatch_cells

        # Aligned to the bucket width, so a refresh within it hits the cache.
        aligned = now - timedelta(seconds=now.timestamp() % width.total_seconds())
        start = aligned + width - span
        per_part = cloudwatch_cells(start=start, width=width, buckets=buckets)
    else:
        start = now - span
        rows = MetricMinute.objects.filter(minute__gte=start, minute__lte=now).values(
            "part", "minute", "count", "errors", "failures", "latency_buckets"
        )
        per_part = _bucketed(rows, start, width, buckets)
    volume = {part: sum(cell["count"] for cell in cells) for part, cells in per_part.items()}
    parts = sorted(volume, key=lambda part: -volume[part])[:MAX_PARTS]
    minutes = width.total_seconds() / 60

    def rate(field):
        return lambda part: [
            cell[field] / cell["count"] if cell["count"] else None for cell in per_part[part]
        ]

    charts = [
        _chart(
            "Throughput",
            "events/min",
            parts,
            lambda part: [cell["count"] / minutes for cell in per_part[part]],
        ),
        _chart("Error rate", "share of events", parts, rate("errors")),
        _chart("Failure rate", "share of events", parts, rate("failures")),
        _chart(
            "Latency p50",
            "ms",
            parts,
            lambda part: [_latency(cell, 0.50, "p50") for cell in per_part[part]],
        ),
        _chart(
            "Latency p95",
            "ms",
            parts,
            lambda part: [_latency(cell, 0.95, "p95") for cell in per_part[part]],
        ),
    ]
    return {
        "range": range_name if range_name in RANGES else "hour",
        "ranges": list(RANGES),
        "charts": charts,
        "width": WIDTH,
        "height": HEIGHT,
        "totals": [(part, volume[part]) for part in parts],
        "gauges": [(gauge, gauge.count()) for gauge in gauges()],
        "open_incidents": list(AlarmIncident.objects.filter(resolved_at__isnull=True)),
    }
