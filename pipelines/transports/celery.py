"""Celery adapter: each message is one `pipelines.run_step(step, body)` task.

The Celery app is named by settings (PIPELINE_CELERY_APP) and imported only when a message
is sent, so neither the web path nor Lambda cold starts import Celery.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

RUN_STEP_TASK = "pipelines.run_step"


class CeleryTransport:
    name = "celery"

    def send(self, step: str, bodies: list[str]) -> None:
        app = import_string(settings.PIPELINE_CELERY_APP)
        queue = settings.PIPELINE_CELERY_QUEUES.get(step) or None
        with app.producer_or_acquire() as producer:
            for body in bodies:
                app.send_task(RUN_STEP_TASK, args=[step, body], queue=queue, producer=producer)

    def queue_depth(self, step: str) -> int | None:
        """Ready messages in the step's queue, by a passive queue declare (AMQP semantics,
        which kombu's Redis, filesystem and SQS transports answer too). Messages a worker holds
        (prefetched, or waiting for a retry countdown) are not counted."""
        app = import_string(settings.PIPELINE_CELERY_APP)
        queue = settings.PIPELINE_CELERY_QUEUES.get(step) or app.conf.task_default_queue
        try:
            with app.connection_for_read() as connection:
                declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        except Exception as exc:
            # A queue that does not exist yet holds nothing (RabbitMQ: NOT_FOUND; Redis drops
            # the key of an empty list); anything else (broker down) is unknown.
            if "NOT_FOUND" in str(exc).upper() or "NotFound" in type(exc).__name__:
                return 0
            logger.warning("cannot read the depth of Celery queue %s: %r", queue, exc)
            return None
        return declared.message_count
