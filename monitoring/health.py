"""What GET /health reports, and what decides its status.

503 only for what makes this instance unable to serve: the database, and the Celery broker
where this instance sends pipeline messages. Backlog, dead letters and unapplied migrations
are reported, never a reason to take every instance out of rotation. Cheap enough for a load
balancer every few seconds: the broker is asked at most every HEALTH_BROKER_CACHE_SECONDS,
the migration state once per process (it changes only with a deploy).
"""

import time
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string

from monitoring.registry import gauges

_broker_checked: tuple[float, str] | None = None


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ok"; the message says which
        return f"error: {type(exc).__name__}"
    return "ok"


def broker_status() -> str:
    """The Celery broker this instance sends to, if any (SQS on Lambda is AWS's to keep up)."""
    global _broker_checked
    if settings.PIPELINE_TRANSPORT != "celery":
        return "not used"
    broker_url = settings.CELERY_BROKER_URL
    if broker_url.startswith(("filesystem", "memory")):
        return "ok"  # in-process or a local folder: nothing to reach
    now = time.monotonic()
    if _broker_checked and now - _broker_checked[0] < settings.HEALTH_BROKER_CACHE_SECONDS:
        return _broker_checked[1]
    app = import_string(settings.PIPELINE_CELERY_APP)  # Celery only where it is the transport
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        status = "ok"
    except Exception as exc:
        status = f"error: {type(exc).__name__}"
    _broker_checked = (now, status)
    return status


@cache
def migrations_status() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not plan else f"{len(plan)} unapplied"


def health_report() -> tuple[bool, dict]:
    """(able to serve, the JSON body)."""
    body: dict = {"database": database_status(), "broker": broker_status()}
    serving = body["database"] == "ok" and body["broker"] in ("ok", "not used")
    if body["database"] == "ok":
        body["migrations"] = migrations_status()
        registered = gauges()  # the features' counts (pipelines: backlog, dead letters)
        try:
            body.update({gauge.name: gauge.count() for gauge in registered})
        except Exception as exc:  # e.g. tables not migrated yet: reported, not fatal
            body.update(
                dict.fromkeys((gauge.name for gauge in registered), f"error: {type(exc).__name__}")
            )
    return serving, {"status": "ok" if serving else "error", **body, "stage": settings.STAGE}
