"""pipelines' part of GET /health (registered in apps.py): the Celery broker this instance
sends pipeline messages to, asked at most every HEALTH_BROKER_CACHE_SECONDS (docs/monitoring.md,
"/health")."""

import time

from django.conf import settings
from django.utils.module_loading import import_string

_broker_checked: tuple[float, str] | None = None


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
