"""The pulse dashboard's data on AWS stages: the EMF metrics in CloudWatch, read with
GetMetricData (one call per range, cached for PULSE_CACHE_SECONDS per process: a dashboard
refresh does not become an API bill)."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

# GetMetricData statistic per dashboard field: counts are sums, latency CloudWatch's own
# percentiles (computed from every EMF value, not from our histogram buckets).
COUNT_FIELDS = (
    ("count", "Throughput", "Sum"),
    ("errors", "Errors", "Sum"),
    ("failures", "Failures", "Sum"),
)
MAX_QUERIES = 500  # GetMetricData's limit per call


def _client():
    import boto3  # only the AWS dashboard pays for it

    return boto3.client("cloudwatch", region_name=settings.AWS_REGION)


def cloudwatch_parts(client) -> list[str]:
    paginator = client.get_paginator("list_metrics")
    parts = set()
    for page in paginator.paginate(
        Namespace=settings.METRICS_NAMESPACE,
        MetricName="Throughput",
        Dimensions=[{"Name": "Stage", "Value": settings.STAGE}],
    ):
        for metric in page["Metrics"]:
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if "Part" in dimensions:
                parts.add(dimensions["Part"])
    return sorted(parts)


def cloudwatch_cells(*, start, width: timedelta, buckets: int) -> dict[str, list[dict]]:
    """Per part, one cell per bucket: count, errors, failures (sums), p50, p95 (ms or None)."""
    key = f"pulse:cloudwatch:{settings.STAGE}:{start:%Y%m%d%H%M}:{int(width.total_seconds())}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    client = _client()
    # PULSE_LATENCY_STATISTICS: ["p50", "p95"] (moto, the tests' emulator, computes no
    # percentiles: the tests ask for Average and Maximum instead).
    p50, p95 = settings.PULSE_LATENCY_STATISTICS
    fields = (*COUNT_FIELDS, ("p50", "Latency", p50), ("p95", "Latency", p95))
    parts = cloudwatch_parts(client)[: MAX_QUERIES // len(fields)]
    queries, targets = [], {}
    for index, part in enumerate(parts):
        for field, metric, stat in fields:
            query_id = f"q{index}_{field}"
            targets[query_id] = (part, field)
            queries.append(
                {
                    "Id": query_id,
                    "ReturnData": True,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": settings.METRICS_NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [
                                {"Name": "Stage", "Value": settings.STAGE},
                                {"Name": "Part", "Value": part},
                            ],
                        },
                        "Period": int(width.total_seconds()),
                        "Stat": stat,
                    },
                }
            )
    cells = {
        part: [
            {"count": 0, "errors": 0, "failures": 0, "p50": None, "p95": None}
            for _ in range(buckets)
        ]
        for part in parts
    }
    if queries:
        end = start + width * buckets
        paginator = client.get_paginator("get_metric_data")
        for page in paginator.paginate(MetricDataQueries=queries, StartTime=start, EndTime=end):
            for result in page["MetricDataResults"]:
                part, field = targets[result["Id"]]
                for timestamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                    if value is None:
                        continue
                    index = int((timestamp - start) / width)
                    if 0 <= index < buckets:
                        cells[part][index][field] = (
                            int(value) if field in ("count", "errors", "failures") else value
                        )
    cache.set(key, cells, settings.PULSE_CACHE_SECONDS)
    return cells
