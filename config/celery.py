"""The Celery app for worker deployments and the embedded local default.

Start with `celery -A config.celery worker --beat`. Imported only by processes that send or
run tasks, never at Django start-up: Lambda cold starts should not pay for Celery.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")

app = Celery("serverless_handbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's filesystem broker expects its folders to exist.
for _option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
    _folder = (app.conf.broker_transport_options or {}).get(_option)
    if _folder and app.conf.broker_url.startswith("filesystem"):
        Path(_folder).mkdir(parents=True, exist_ok=True)


@beat_init.connect
def _pipeline_cleanup_at_beat_start(sender=None, **kwargs):
    """Run the cleanup once when beat starts, not only after its first interval: a beat
    restarted more often than the interval would otherwise never run it."""
    app.send_task("pipelines.cleanup")
