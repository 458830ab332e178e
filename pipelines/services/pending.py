"""A run's steps not marked done, listed and sent again: the one place the cleanup, the stall
watch, the admin's re-drive and a run the queue never got take them from."""

from django.db.models import F
from django.utils import timezone

from pipelines.messages import StepMessage, map_message, range_message, reduce_message
from pipelines.models import Packet, PipelineRun, ScratchpadEntry
from pipelines.services.runs import run_send


def run_steps_not_done(run: PipelineRun) -> list[StepMessage]:
    """A map message for every packet (elements, or a byte range of the run's file) without
    a partial in the scratchpad, and a reduce message if partials wait. Replayable steps make
    sending them again safe: whatever is done meanwhile is done once."""
    request_id = run.request_id or None
    unmapped = (
        Packet.objects.filter(run_id=run.id, scratchpad__isnull=True)
        .order_by("index")
        .only("index", "elements_json", "byte_start", "byte_end")
    )
    messages: list[StepMessage] = [
        map_message(
            pipeline=run.pipeline,
            run_id=run.id,
            packet=packet.index,
            elements=None,
            elements_json=packet.elements_json,
            request_id=request_id,
        )
        if packet.byte_start is None
        else range_message(
            pipeline=run.pipeline,
            run_id=run.id,
            packet=packet.index,
            start=packet.byte_start,
            end=packet.byte_end,
            request_id=request_id,
        )
        for packet in unmapped
    ]
    if ScratchpadEntry.objects.filter(run_id=run.id, reduced_at__isnull=True).exists():
        messages.append(reduce_message(pipeline=run.pipeline, run_id=run.id, request_id=request_id))
    return messages


def run_steps_resend(*, run: PipelineRun, redrive: bool = True) -> int:
    """Send every step of the run not marked done again; returns how many messages went.
    `redrive` counts it as one of the run's re-drives (PIPELINE_MAX_REDRIVES); False for a
    first send (a run the queue never got). Raises when the queue refuses them: only a
    re-drive whose messages reached the queue counts, so a broker outage cannot use them up."""
    messages = run_steps_not_done(run)
    run_send(run_id=run.id, messages=messages)
    if redrive:
        PipelineRun.objects.filter(id=run.id).update(
            redrive_count=F("redrive_count") + 1, updated_at=timezone.now()
        )
    return len(messages)
