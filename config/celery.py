"""The Celery app for worker deployments and the embedded local default.

Start with `celery -A config.celery worker`. Imported only by processes that send or run
tasks, never at Django start-up: Lambda cold starts should not pay for Celery.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")

app = Celery("serverless_handbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
