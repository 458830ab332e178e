"""Celery adapter: each message is one `pipelines.run_step(step, body)` task.

The Celery app is named by settings (PIPELINE_CELERY_APP) and imported only when a message
is sent, so neither the web path nor Lambda cold starts import Celery.
"""

from django.conf import settings
from django.utils.module_loading import import_string

RUN_STEP_TASK = "pipelines.run_step"


class CeleryTransport:
    name = "celery"

    def send(self, step: str, bodies: list[str]) -> None:
        app = import_string(settings.PIPELINE_CELERY_APP)
        queue = settings.PIPELINE_CELERY_QUEUES.get(step) or None
        with app.producer_or_acquire() as producer:
            for body in bodies:
                app.send_task(RUN_STEP_TASK, args=[step, body], queue=queue, producer=producer)
