"""Celery adapter: thin tasks around the services; they own only the retry policy (backoff,
then a dead letter; back to the broker rather than lost when the database or the broker is
down; acks_late, so a killed worker's message is delivered again): docs/pipelines.md."""

import logging

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings

from monitoring.jobs import scheduled_job_run
from monitoring.request_context import trace_bound
from pipelines.models import DeadLetterSource
from pipelines.retry_policy import retry_delay_seconds
from pipelines.services.cleanup import runs_cleanup, runs_stall_watch
from pipelines.services.dead_letters import dead_letter_store
from pipelines.services.steps import step_handle

logger = logging.getLogger(__name__)


@shared_task(
    name="pipelines.run_step",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    time_limit=settings.PIPELINE_STEP_TIME_LIMIT,
)
def run_step(self, step: str, body: str) -> None:
    # The task id is on every line, the retry policy's too; step_handle observes the step.
    with trace_bound(request_id=None, invocation_id=self.request.id):
        _run_step(self, step, body)


def _run_step(self, step: str, body: str) -> None:
    try:
        step_handle(step=step, body=body)
    except Exception as exc:
        attempt = self.request.retries + 1
        if attempt >= settings.PIPELINE_MAX_ATTEMPTS:
            logger.exception("pipeline %s message dead-lettered after %s attempts", step, attempt)
            try:
                dead_letter_store(
                    source=DeadLetterSource.CELERY,
                    step=step,
                    body=body,
                    error=f"{type(exc).__name__}: {exc}",
                    attempts=attempt,
                    message_id=self.request.id or "",
                )
            except Exception as store_exc:
                logger.exception(
                    "pipeline %s dead letter could not be stored: back to the broker", step
                )
                _retry_or_redeliver(
                    self, step, store_exc, countdown=settings.PIPELINE_RETRY_BACKOFF_MAX_SECONDS
                )
            return
        logger.warning("pipeline %s message failed (attempt %s): %r", step, attempt, exc)
        _retry_or_redeliver(self, step, exc, countdown=retry_delay_seconds(attempt))


def _retry_or_redeliver(task, step: str, exc: Exception, *, countdown: float) -> None:
    """Retry through the broker; when the retry cannot be published (broker unreachable),
    hand the message back instead. Celery turns a failed retry publish into Reject with
    requeue=False, which acknowledges the message: it was lost (issue #20 item 5). Requeued,
    the broker delivers it again (RabbitMQ at once, or when the worker's channel closes;
    Redis's unacked restore when the reject itself cannot reach it)."""
    try:
        raise task.retry(exc=exc, countdown=countdown) from exc
    except Reject as refused:
        logger.warning(
            "pipeline %s retry could not be published (%r): message back to the broker",
            step,
            refused.reason,
        )
        raise Reject(refused.reason, requeue=True) from exc


@shared_task(name="pipelines.cleanup", bind=True)
def cleanup(self) -> dict:
    return scheduled_job_run("pipelines.cleanup", runs_cleanup, invocation_id=self.request.id)


@shared_task(name="pipelines.stall_watch", bind=True)
def stall_watch(self) -> dict:
    return scheduled_job_run(
        "pipelines.stall_watch", runs_stall_watch, invocation_id=self.request.id
    )
