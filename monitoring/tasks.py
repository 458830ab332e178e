"""Celery adapter of the monitoring jobs (workers mode and the local default)."""

from celery import shared_task

from monitoring.alarms import alarms_evaluate
from monitoring.jobs import scheduled_job_run
from monitoring.metrics import metrics_flush


@shared_task(name="monitoring.alarms", bind=True)
def alarms(self) -> dict:
    return scheduled_job_run("monitoring.alarms", _alarms_flushed, invocation_id=self.request.id)


def _alarms_flushed() -> dict:
    metrics_flush()  # this worker's own events count too
    return alarms_evaluate()
