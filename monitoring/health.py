"""What GET /health reports, and what decides its status.

503 only for what makes this instance unable to serve: the database, and the checks the
features register (pipelines: the Celery broker it sends to). Gauges (backlog, dead letters)
and unapplied migrations are reported, never a reason to take every instance out of rotation.
Cheap enough for a load balancer every few seconds: the migration state is read once per
process (it changes only with a deploy); docs/monitoring.md, "/health".
"""

from functools import cache

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from monitoring.registry import gauges, health_checks

SERVING = ("ok", "not used")


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ok"; the message says which
        return f"error: {type(exc).__name__}"
    return "ok"


@cache
def migrations_status() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not plan else f"{len(plan)} unapplied"


def health_report() -> tuple[bool, dict]:
    """(able to serve, the JSON body)."""
    body: dict = {"database": database_status()}
    for name, check in health_checks():  # the features' own (pipelines: "broker")
        try:
            body[name] = check()
        except Exception as exc:  # a check that cannot tell is not ok
            body[name] = f"error: {type(exc).__name__}"
    serving = all(status in SERVING for status in body.values())
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
