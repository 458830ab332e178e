"""Reads: a user's run with its progress and result; the runs the cleanup job looks at; the
uploaded files runs still need."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, Sum
from django.utils import timezone

from api.errors import NotFound
from pipelines import exact_json
from pipelines.models import PipelineRun, RunState, ScratchpadEntry, Upload


@dataclass(frozen=True)
class RunStatus:
    run: PipelineRun
    array_length: int  # a run over a file: the elements of its ranges read so far
    elements_reduced: int
    packets_reduced: int
    result: Any  # None until done


def run_get(*, owner, run_id: str, pipeline: str | None = None) -> PipelineRun:
    """The owner's run; another user's run, or an unknown id, is not found."""
    try:
        run_uuid = uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound("Unknown arrayId") from None
    runs = PipelineRun.objects.select_related("result").filter(id=run_uuid, owner=owner)
    if pipeline:
        runs = runs.filter(pipeline=pipeline)
    run = runs.first()
    if run is None:
        raise NotFound("Unknown arrayId")
    return run


def run_status(*, run: PipelineRun) -> RunStatus:
    result = getattr(run, "result", None)
    done = run.state == RunState.DONE and result is not None
    array_length = run.element_count
    if run.upload_id and run.state != RunState.DONE:
        # Known only once every range is read (stored when the run finishes): until then,
        # what the ranges mapped so far counted.
        array_length = (
            ScratchpadEntry.objects.filter(run_id=run.id).aggregate(n=Sum("element_count"))["n"]
            or 0
        )
    return RunStatus(
        run=run,
        array_length=array_length,
        elements_reduced=result.elements_reduced if result else 0,
        packets_reduced=result.packets_reduced if result else 0,
        result=exact_json.loads(result.value_json) if done else None,
    )


def runs_stalled(*, now=None, after_seconds: float | None = None):
    """Pending runs with no progress (run, scratchpad or result change) and nothing sent for
    `after_seconds` (default PIPELINE_STALL_AFTER_SECONDS), oldest first (a stable order:
    each job run handles the same runs first)."""
    now = now or timezone.now()
    if after_seconds is None:
        after_seconds = settings.PIPELINE_STALL_AFTER_SECONDS
    cutoff = now - timedelta(seconds=after_seconds)
    return (
        PipelineRun.objects.filter(
            state=RunState.PENDING, updated_at__lte=cutoff, last_sent_at__lte=cutoff
        )
        .annotate(last_mapped_at=Max("scratchpad__created_at"))
        .filter(Q(last_mapped_at__isnull=True) | Q(last_mapped_at__lte=cutoff))
        .filter(Q(result__isnull=True) | Q(result__updated_at__lte=cutoff))
        .order_by("created_at", "id")
    )


def runs_unsent(*, now=None):
    """Pending runs whose messages never reached the queue (it was down at start)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PIPELINE_UNSENT_AFTER_SECONDS)
    return PipelineRun.objects.filter(
        state=RunState.PENDING,
        last_sent_at__isnull=True,
        created_at__lte=cutoff,
    ).order_by("created_at", "id")


def uploads_needed_by_runs():
    """Uploads whose file a run may still read: its run is pending, so a map, a re-drive
    (the cleanup, the stall watch, the admin) or a dead letter's replay may read a range of it.
    Never delete these files. A finished run's file is deleted by the retention step with
    the run's other input (runs_purge_finished); a failed or finished run reads nothing."""
    return Upload.objects.filter(run__state=RunState.PENDING)
