"""Steps: run one queued message (map a packet or a file's byte range, reduce partials).

Each is replayable: a message delivered twice finds its "done" mark and changes nothing."""

import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from monitoring.jobs import observed
from pipelines import exact_json
from pipelines.arithmetic import exact_arithmetic
from pipelines.messages import MAP, StepMessage, message_parse, reduce_message
from pipelines.models import PipelineRun, RunResult, RunState, ScratchpadEntry
from pipelines.registry import pipeline_get
from pipelines.services.partials import partial_mapped, partial_store, reduce_after_commit
from pipelines.services.ranges import range_map
from pipelines.services.runs import run_fail, run_finish
from pipelines.transports import messages_send

logger = logging.getLogger(__name__)


def step_handle(*, step: str, body: str) -> None:
    """Run one queued message. Raises on failure, so the queue retries it.

    Its log lines carry the request id of the HTTP request that started the run; one access
    line and one metric event per message (part `pipelines.<pipeline>`)."""
    message = message_parse(body, expected_step=step)
    run_id = str(message.run_id)
    with observed(
        f"pipelines.{message.pipeline}",
        label=f"pipeline {message.pipeline} {message.step}",
        request_id=message.request_id,
        span=f"pipeline.{message.step}",
        trace_parent=message.trace,
        attributes={
            "pipeline": message.pipeline,
            "pipeline.step": message.step,
            "pipeline.run_id": run_id,
        },
        log_fields={"step": message.step, "run_id": run_id, "packet": message.packet},
        retried=True,  # a failed attempt is retried: the run's failure is counted when it fails
    ):
        if message.step == MAP and message.byte_range is not None:
            range_map(message=message)
        elif message.step == MAP:
            packet_map(message=message)
        else:
            run_reduce(message=message)


def packet_map(*, message: StepMessage) -> bool:
    """Map one packet into the scratchpad; returns False when it was already mapped.

    Either way a reduce message follows, so a map that committed and then failed before
    queueing its reduce (crash, queue error) is completed by its redelivery."""
    spec = pipeline_get(message.pipeline)
    # Map before any done check: a poison packet fails on every delivery (and reaches the
    # dead letters) even when a good copy of the packet was mapped already.
    with exact_arithmetic():
        partial = spec.map_packet(message.elements)
    run = PipelineRun.objects.filter(id=message.run_id).only("id", "state").first()
    if run is None:
        logger.warning("map message for unknown run %s dropped", message.run_id)
        return False
    if run.state == RunState.DONE:
        return False
    mapped = False
    if not partial_mapped(run_id=run.id, packet_index=message.packet):
        mapped = partial_store(
            run_id=run.id,
            packet_index=message.packet,
            element_count=len(message.elements),
            partial=partial,
        )
    reduce_after_commit(pipeline=spec.name, run_id=run.id, request_id=message.request_id)
    return mapped


def run_reduce(*, message: StepMessage) -> int:
    """Fold every partial it can claim into the run's result; returns how many it folded.

    Claims use SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel reducers take
    disjoint partials and none waits for another's claim; the result row is then locked for
    the update. A partial's `reduced_at` and the result commit together, so nothing is folded
    twice or lost. When the batch limit was hit another reduce message is queued, so a run
    never stalls with partials left.

    A run over a file learns its element count here: it fails once its ranges hold more than
    PIPELINE_UPLOAD_MAX_ELEMENTS, and its count is stored when it finishes."""
    spec = pipeline_get(message.pipeline)
    limit = settings.PIPELINE_REDUCE_BATCH
    with transaction.atomic():
        run = (
            PipelineRun.objects.filter(id=message.run_id)
            .only("id", "pipeline", "state", "packet_count", "upload_id")
            .first()
        )
        if run is None or run.state == RunState.DONE:
            return 0
        _sqlite_write_lock_take(run_id=run.id)
        entries = list(
            ScratchpadEntry.objects.select_for_update(skip_locked=True)
            .filter(run_id=run.id, reduced_at__isnull=True)
            .order_by("packet_index")
            .only("id", "element_count", "value_json")[:limit]
        )
        if not entries:
            return 0
        result = RunResult.objects.select_for_update().get(run_id=run.id)
        with exact_arithmetic():
            value = exact_json.loads(result.value_json)
            for entry in entries:
                value = spec.reduce(value, exact_json.loads(entry.value_json))
        ScratchpadEntry.objects.filter(id__in=[entry.id for entry in entries]).update(
            reduced_at=timezone.now()
        )
        result.value_json = exact_json.dumps(value)
        result.packets_reduced = F("packets_reduced") + len(entries)
        result.elements_reduced = F("elements_reduced") + sum(e.element_count for e in entries)
        result.save(
            update_fields=["value_json", "packets_reduced", "elements_reduced", "updated_at"]
        )
        result.refresh_from_db(fields=["packets_reduced", "elements_reduced"])
        limit = settings.PIPELINE_UPLOAD_MAX_ELEMENTS
        if run.upload_id and result.elements_reduced > limit:
            reason = f"Too many elements: more than {limit} (the limit)"
            run_fail(run=run, reason=f"The uploaded file cannot be used: {reason}")
        elif result.packets_reduced >= run.packet_count:
            if run.upload_id:  # known only now: every range has been read
                PipelineRun.objects.filter(id=run.id).update(element_count=result.elements_reduced)
            run_finish(run.id)
        elif len(entries) == limit:
            more = reduce_message(pipeline=spec.name, run_id=run.id, request_id=message.request_id)
            transaction.on_commit(lambda: messages_send([more]))
    return len(entries)


def _sqlite_write_lock_take(*, run_id) -> None:
    """SQLite has one writer and ignores SELECT ... FOR UPDATE: take the write lock first
    (a no-op write to the run's result) so two reducers queue up instead of both reading the
    same partials and one failing on the lock upgrade. Nothing to do on other databases."""
    if connection.vendor == "sqlite":
        RunResult.objects.filter(run_id=run_id).update(updated_at=timezone.now())
