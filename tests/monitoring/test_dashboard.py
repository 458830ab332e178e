"""The pulse dashboard in the admin, in real headless Chromium, over a seeded day."""

import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from monitoring.metrics import LATENCY_BUCKETS_MS
from monitoring.models import MetricMinute
from pipelines.models import DeadLetter, PipelineRun

ADMIN_PASSWORD = "a-long-admin-password-7"


def seed_a_day() -> None:
    rng = random.Random(7)
    now = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for minute in range(0, 24 * 60, 5):
        at = now - timedelta(minutes=minute)
        for part, volume in (("api.items", 60), ("api.graphql", 20), ("pipelines.sumArray", 35)):
            count = volume + rng.randint(0, 20)
            buckets = [0] * len(LATENCY_BUCKETS_MS)
            buckets[rng.randint(1, 3)] = count - 2
            buckets[6] = 2
            rows.append(
                MetricMinute(
                    part=part,
                    minute=at,
                    count=count,
                    errors=rng.randint(0, 2),
                    failures=rng.randint(0, 1),
                    latency_count=count,
                    latency_sum_ms=count * 20.0,
                    latency_buckets=buckets,
                )
            )
    MetricMinute.objects.bulk_create(rows)


@pytest.mark.django_db(transaction=True)
def test_pulse_dashboard_draws_a_day_of_traffic(
    chromium, live_server, django_user_model, collected_static, tmp_path
):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", ADMIN_PASSWORD)
    seed_a_day()
    # The pipelines' gauges, registered with monitoring (pipelines/apps.py)
    PipelineRun.objects.create(
        pipeline="sumArray", owner=boss, element_count=1, packet_size=1, packet_count=1
    )
    DeadLetter.objects.bulk_create(
        DeadLetter(source="celery", step="map", body=f'{{"n": {n}}}', attempts=10) for n in range(2)
    )
    page = chromium.new_page()

    chromium.run(
        page.goto(
            f"{live_server.url}/admin/login/?next=/admin/monitoring/metricminute/%3Frange%3Dday"
        )
    )
    chromium.run(page.type("#id_username", "boss"))
    chromium.run(page.type("#id_password", ADMIN_PASSWORD))

    async def submit():
        import asyncio

        await asyncio.gather(page.waitForNavigation(), page.click("input[type=submit]"))

    chromium.run(submit)
    artifacts = Path(os.environ.get("TEST_ARTIFACTS_DIR", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    chromium.run(page.screenshot({"path": str(artifacts / "pulse-day.png"), "fullPage": True}))

    numbers = chromium.run(
        page.querySelectorAllEval(
            ".pulse-numbers th",
            "nodes => nodes.map(node => [node.textContent, "
            "node.nextElementSibling.id, node.nextElementSibling.textContent])",
        )
    )
    assert numbers == [
        ["Pipeline backlog (pending runs)", "pulse-backlog", "1"],
        ["Open dead letters", "pulse-dead-letters", "2"],
        ["Open alarms", "pulse-open-alarms", "0"],
    ]
    titles = chromium.run(
        page.querySelectorAllEval(".pulse-chart", "nodes => nodes.map(node => node.dataset.title)")
    )
    assert titles == ["Throughput", "Error rate", "Failure rate", "Latency p50", "Latency p95"]
    series = chromium.run(
        page.querySelectorAllEval(
            ".pulse-chart polyline",
            "nodes => nodes.map(node => [node.dataset.part, node.points.numberOfItems])",
        )
    )
    assert len(series) == 15  # three parts on each of five charts
    assert all(points >= 90 for _, points in series)  # 96 quarter hours, nearly all filled
    assert (artifacts / "pulse-day.png").stat().st_size > 10_000
