"""Reads: a user's run with its progress and result; the runs and uploads the cleanup job
looks at."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from api.errors import NotFound
from pipelines import exact_json
from pipelines.models import DeadLetter, PipelineRun, RunState, ScratchpadEntry, Upload


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


def runs_past_retention(*, now=None):
    """Finished runs whose input (packets' text, uploaded file) nothing can need any more
    (docs/contract.md §3.8): finished more than PIPELINE_RETENTION_DAYS ago, not purged yet,
    and without an open dead letter, which a replay could still send back to their steps.
    A pending run is never among them: its steps, re-drives and replays read its input."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PIPELINE_RETENTION_DAYS)
    open_letters = DeadLetter.objects.filter(run_id=OuterRef("pk"), resolved_at__isnull=True)
    return (
        PipelineRun.objects.filter(
            state__in=[RunState.DONE, RunState.FAILED],
            finished_at__lte=cutoff,
            purged_at__isnull=True,
        )
        .exclude(Exists(open_letters))
        .order_by("finished_at")
    )


def uploads_past_keeping(*, now=None):
    """THE rule of when an uploaded file may be deleted (docs/contract.md §2.5, §3.8): an
    upload that started no run, PIPELINE_UPLOAD_EXPIRE_HOURS after it was created (file and
    row go); a run's upload, once its run is past retention (runs_past_retention: the file
    goes, the row stays with its run)."""
    now = now or timezone.now()
    expiry = now - timedelta(hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS)
    return Upload.objects.filter(
        Q(run__isnull=True, created_at__lte=expiry)
        | Q(run__in=runs_past_retention(now=now).values("id"))
    ).order_by("created_at")


def runs_pending_count(*, created_before=None) -> int:
    """The backlog: runs not finished yet (those created at or before `created_before`, if
    given). /health, the pulse dashboard and the stuck-runs alarm count it (pipelines/apps.py)."""
    runs = PipelineRun.objects.filter(state=RunState.PENDING)
    if created_before is not None:
        runs = runs.filter(created_at__lte=created_before)
    return runs.count()


def dead_letters_open_count() -> int:
    return DeadLetter.objects.filter(resolved_at__isnull=True).count()
