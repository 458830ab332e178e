"""The cleanup job (docs/pipelines.md "Cleanup"): send runs the queue never got, re-drive
stalled runs, fail hopeless ones, leave runs waiting in a backlog alone, resolve dead letters
of finished runs, drop old finished runs' input text and expire unstarted uploads."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pipelines.messages import MAP
from pipelines.models import DeadLetter, Packet, PipelineRun, RunState, ScratchpadEntry
from pipelines.selectors import runs_past_retention, runs_stalled, runs_unsent
from pipelines.services.pending import run_steps_resend
from pipelines.services.runs import run_fail
from pipelines.services.upload_expiry import upload_files_delete, uploads_expire
from pipelines.transports import transport_get

logger = logging.getLogger(__name__)


def run_redrive(*, run: PipelineRun) -> int:
    """Queue again whatever a run still needs; returns the number of messages queued.
    Raises when the queue refuses them (the caller reports it for this run alone)."""
    return run_steps_resend(run=run)


def redrive_backoff_seconds(redrive_count: int) -> float:
    """How long a run must have made no progress (and had nothing sent) before the stall
    watch gives it re-drive number `redrive_count + 1`: PIPELINE_STALL_WATCH_AFTER_SECONDS for
    the first two (a second loss, e.g. a queue purged again right after the first re-drive,
    is recovered as fast as the first: within 5 minutes), then doubling (180, 180, 360, 720 s
    by default), so a run that keeps stalling is re-sent less and less often."""
    return settings.PIPELINE_STALL_WATCH_AFTER_SECONDS * 2 ** max(0, redrive_count - 1)


def _run_waits_in_backlog(run: PipelineRun, *, now, queue_depths: dict) -> bool:
    """A run whose unmapped packets were sent while the map queue still holds messages is
    waiting its turn, not stalled: re-sending would only multiply the backlog. Past
    PIPELINE_BACKLOG_MAX_WAIT_SECONDS since its last send it is re-driven anyway."""
    if run.last_sent_at and (now - run.last_sent_at).total_seconds() > (
        settings.PIPELINE_BACKLOG_MAX_WAIT_SECONDS
    ):
        return False
    if MAP not in queue_depths:
        queue_depths[MAP] = transport_get().queue_depth(MAP)
    depth = queue_depths[MAP]
    return bool(depth) and Packet.objects.filter(run_id=run.id, scratchpad__isnull=True).exists()


def _run_hopeless_reason(run: PipelineRun) -> str:
    unmapped = Packet.objects.filter(run_id=run.id, scratchpad__isnull=True).count()
    unreduced = ScratchpadEntry.objects.filter(run_id=run.id, reduced_at__isnull=True).count()
    stuck = []
    if unmapped:
        stuck.append(f"{unmapped} of {run.packet_count} packets could not be mapped")
    if unreduced:
        stuck.append(f"{unreduced} mapped packets could not be reduced")
    return (
        f"No progress after {run.redrive_count} re-drives: "
        f"{'; '.join(stuck) or 'nothing left to do'}; see the dead letters."
    )


class _RunHandler:
    """What the cleanup and the stall watch do to one run, each run on its own: one that
    cannot be handled is reported under `errors` and the job goes on with the others. The
    map queue's depth is read once per job, and only when a stalled run needs it."""

    def __init__(self, *, now, job: str, summary: dict):
        self.now = now
        self.job = job
        self.summary = summary
        self.queue_depths: dict = {}

    def isolated(self, run, action) -> None:
        try:
            action(run)
        except Exception as exc:
            logger.exception("pipeline %s could not handle run %s", self.job, run.id)
            self.summary["errors"][str(run.id)] = f"{type(exc).__name__}: {exc}"

    def send(self, run) -> None:
        """A run whose messages never reached the queue (it was down at POST)."""
        run_steps_resend(run=run, redrive=False)
        self.summary["sent"].append(str(run.id))

    def unstick(self, run, *, may_fail: bool) -> None:
        """A stalled run: left alone while it waits behind a backlog; failed once re-driven
        PIPELINE_MAX_REDRIVES times (only when `may_fail`); else re-driven."""
        if _run_waits_in_backlog(run, now=self.now, queue_depths=self.queue_depths):
            self.summary["waiting"].append(str(run.id))
        elif run.redrive_count >= settings.PIPELINE_MAX_REDRIVES:
            if may_fail:
                run_fail(run=run, reason=_run_hopeless_reason(run))
                self.summary["failed"].append(str(run.id))
        else:
            run_redrive(run=run)
            self.summary["redriven"].append(str(run.id))


def runs_cleanup(*, now=None) -> dict:
    """The scheduled job (every PIPELINE_CLEANUP_EVERY_SECONDS): send runs the queue never
    got, re-drive stalled runs (leaving those waiting behind a backlog), fail hopeless ones,
    resolve dead letters of finished runs, drop old finished runs' input text and delete
    uploads that started no run within PIPELINE_UPLOAD_EXPIRE_HOURS."""
    now = now or timezone.now()
    summary: dict = {
        "sent": [],
        "redriven": [],
        "failed": [],
        "waiting": [],
        "errors": {},
        "purged": 0,
        "expired_uploads": 0,
    }
    handler = _RunHandler(now=now, job="cleanup", summary=summary)
    for run in runs_unsent(now=now):
        handler.isolated(run, handler.send)
    for run in runs_stalled(now=now):
        handler.isolated(run, lambda run: handler.unstick(run, may_fail=True))
    # Letters whose run finished some other way (e.g. their packet was mapped by a re-drive).
    DeadLetter.objects.filter(resolved_at__isnull=True, run__state=RunState.DONE).update(
        resolved_at=now
    )
    summary["purged"] = runs_purge_finished(now=now)
    summary["expired_uploads"] = uploads_expire(now=now)
    if any(summary[key] for key in ("sent", "redriven", "failed", "errors")):
        logger.info("pipeline cleanup", extra={"cleanup": summary})
    return summary


def runs_stall_watch(*, now=None) -> dict:
    """The cheap, frequent job (every PIPELINE_STALL_WATCH_EVERY_SECONDS): what makes a run
    that lost its messages (a purged queue, a crashed consumer, a paused worker) finish within
    minutes while the full cleanup keeps its 15-minute interval.

    It sends runs the queue never got and re-drives a run every time it stops making
    progress, by the cleanup's own rules (a backlog is not a stall, each run on its own), up
    to PIPELINE_MAX_REDRIVES, with backoff: the n-th re-drive waits for
    redrive_backoff_seconds(n - 1) without progress since the last send. It never fails a
    run (the cleanup does, once the re-drives are spent). A re-drive the broker refused is
    not counted, so an outage cannot spend a run's re-drives. On an idle system it is one
    indexed query per re-drive level."""
    now = now or timezone.now()
    summary: dict = {"sent": [], "redriven": [], "waiting": [], "errors": {}}
    handler = _RunHandler(now=now, job="stall watch", summary=summary)
    for run in runs_unsent(now=now):
        handler.isolated(run, handler.send)
    handled: set = set()  # a run re-driven at one level is not seen again at the next
    for redrives in range(settings.PIPELINE_MAX_REDRIVES):
        stalled = runs_stalled(now=now, after_seconds=redrive_backoff_seconds(redrives))
        for run in stalled.filter(redrive_count=redrives).exclude(id__in=handled):
            handled.add(run.id)
            handler.isolated(run, lambda run: handler.unstick(run, may_fail=False))
    if any(summary[key] for key in ("sent", "redriven", "errors")):
        logger.info("pipeline stall watch", extra={"stall_watch": summary})
    return summary


def runs_purge_finished(*, now=None, batch: int = 500) -> int:
    """Drop the input text (packets, and an uploaded file) of runs past retention
    (selectors.runs_past_retention: finished PIPELINE_RETENTION_DAYS ago, no open dead
    letter); the run, its result and any dead letters stay. Returns how many runs were
    purged."""
    now = now or timezone.now()
    run_ids = list(runs_past_retention(now=now).values_list("id", flat=True)[:batch])
    if not run_ids:
        return 0
    with transaction.atomic():
        Packet.objects.filter(run_id__in=run_ids).update(elements_json="[]")
        ScratchpadEntry.objects.filter(run_id__in=run_ids).delete()
        PipelineRun.objects.filter(id__in=run_ids).update(purged_at=now)
    upload_files_delete(run_ids=run_ids)  # and the files runs were loaded from
    return len(run_ids)
