"""Lambda adapter: the functions Zappa's `events` map to the SQS queues and the schedule.

Zappa calls `fn(event, context)` and, on a TypeError, calls it again as `fn(event)` and
`fn()`: so the signatures are exactly (event, context) and no TypeError ever escapes.
Each SQS record is processed on its own; failures are reported per message
(`batchItemFailures`, needs ReportBatchItemFailures on the event source mapping), so one
poison message is retried and dead-lettered alone while the rest of its batch succeeds.
"""

import logging

from django.conf import settings
from django.db import close_old_connections

from monitoring.jobs import scheduled_job_run
from monitoring.request_context import request_id_from_lambda_context, trace_bound
from pipelines.messages import MAP, REDUCE
from pipelines.services.cleanup import runs_cleanup, runs_stall_watch
from pipelines.services.steps import step_handle

logger = logging.getLogger(__name__)


def _consume(step: str, event, context) -> dict:
    # Every line carries this invocation's id, the batch's own too; step_handle observes each
    # record under its run's request id.
    with trace_bound(request_id=None, invocation_id=request_id_from_lambda_context(context)):
        return _consume_records(step, event)


def _consume_records(step: str, event) -> dict:
    failures: list[dict] = []
    # Warm containers keep connections between invocations; drop dead or expired ones.
    close_old_connections()
    try:
        records = event.get("Records") or [] if isinstance(event, dict) else []
        for record in records:
            message_id = record.get("messageId", "")
            try:
                step_handle(step=step, body=record["body"])
            except Exception:
                logger.exception("pipeline %s message %s failed", step, message_id)
                failures.append({"itemIdentifier": message_id})
    except Exception:
        # A malformed event: report nothing processed rather than crash the signature dance.
        logger.exception("pipeline %s consumer got an unreadable event", step)
        records = event.get("Records") if isinstance(event, dict) else None
        failures = [
            {"itemIdentifier": record.get("messageId", "")}
            for record in records or []
            if isinstance(record, dict)
        ]
    finally:
        close_old_connections()
    if failures and not settings.PIPELINE_SQS_PARTIAL_BATCH_RESPONSE:
        # Without ReportBatchItemFailures on the mapping Lambda would ignore the list and
        # delete the failed messages: fail the whole batch instead (the steps are replayable,
        # so its good messages running again changes nothing).
        raise RuntimeError(f"{len(failures)} pipeline {step} messages failed: {failures}")
    return {"batchItemFailures": failures}


def consume_map(event, context):
    return _consume(MAP, event, context)


def consume_reduce(event, context):
    return _consume(REDUCE, event, context)


def _scheduled(name: str, job, context):
    try:
        return scheduled_job_run(name, job, invocation_id=request_id_from_lambda_context(context))
    except Exception as exc:
        # Never a TypeError out of here: Zappa would run the job again with another signature.
        raise RuntimeError(f"{name} failed: {exc!r}") from exc


def cleanup(event, context):
    return _scheduled("pipelines.cleanup", runs_cleanup, context)


def stall_watch(event, context):
    return _scheduled("pipelines.stall_watch", runs_stall_watch, context)
