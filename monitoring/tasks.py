"""Celery adapter of the monitoring jobs (workers mode and the local default)."""

from celery import shared_task

from monitoring.alarms import alarms_evaluate
from monitoring.jobs import scheduled_job_run
from monitoring.metrics import metrics_flush
from monitoring.request_context import trace_bound


@shared_task(name="monitoring.alarms", bind=True)
def alarms(self) -> dict:
    with trace_bound(request_id=None, invocation_id=self.request.id):
        metrics_flush()  # this worker's own events count too
        return scheduled_job_run("monitoring.alarms", alarms_evaluate)
