"""Runs over an uploaded file: cut into byte ranges at start, each range mapped on its own
(docs/pipelines.md "Big inputs").

At start the file is split by its size into ranges of PIPELINE_UPLOAD_RANGE_BYTES, stored as
the run's packets (a byte range instead of elements), and every range's map message is sent
at once. A map reads its range straight from the media storage (a ranged GET on S3, a seek
locally), parses and validates it, and stores only its partial. So the sequential steps of a
run do not grow with the file: map, then reduce, whatever its size; the input text is never
copied into the database; and a range is an ordinary packet for re-drives and dead letters.
"""

import logging

from django.conf import settings

from pipelines import exact_json
from pipelines.arithmetic import exact_arithmetic
from pipelines.messages import StepMessage, range_message
from pipelines.models import Packet, PipelineRun, RunState
from pipelines.registry import pipeline_get
from pipelines.services.partials import partial_mapped, partial_store, reduce_after_commit
from pipelines.services.range_reading import BadLine, range_elements, range_lines_read
from pipelines.services.runs import run_fail
from pipelines.storage import storage_newlines_before, storage_range_read

logger = logging.getLogger(__name__)


def ranges_cut(*, size: int, range_bytes: int) -> list[tuple[int, int]]:
    """[start, end) byte ranges covering `size` bytes, each at most `range_bytes`."""
    return [(start, min(start + range_bytes, size)) for start in range(0, size, range_bytes)]


def run_ranges_create(*, run: PipelineRun, size: int) -> list[StepMessage]:
    """Store the run's ranges as its packets (inside the caller's transaction, which created
    the run) and return their map messages, to be sent once committed."""
    ranges = ranges_cut(size=size, range_bytes=settings.PIPELINE_UPLOAD_RANGE_BYTES)
    Packet.objects.bulk_create(
        [
            Packet(run=run, index=index, elements_json="", byte_start=start, byte_end=end)
            for index, (start, end) in enumerate(ranges)
        ],
        batch_size=1000,
    )
    run.packet_count = len(ranges)
    run.save(update_fields=["packet_count"])
    return [
        range_message(
            pipeline=run.pipeline,
            run_id=run.id,
            packet=index,
            start=start,
            end=end,
            request_id=run.request_id or None,
        )
        for index, (start, end) in enumerate(ranges)
    ]


def range_map(*, message: StepMessage) -> bool:
    """Map one range of the run's file into the scratchpad; returns False when there was
    nothing to do (mapped already, or the run is over). Replayable: the scratchpad row is
    unique per range, so a range mapped twice counts once.

    A bad line fails the run, naming the line (its number counted only then); a read that
    fails (storage down) raises, so the queue retries and finally dead-letters the message."""
    spec = pipeline_get(message.pipeline)
    run = (
        PipelineRun.objects.filter(id=message.run_id)
        .select_related("upload")
        .only("id", "pipeline", "state", "upload__storage_name")
        .first()
    )
    if run is None or run.upload is None:
        logger.warning("range map message for unknown run %s dropped", message.run_id)
        return False
    if run.state != RunState.PENDING:
        return False  # finished or failed: nothing it could add
    mapped = False
    if not partial_mapped(run_id=run.id, packet_index=message.packet):
        name = run.upload.storage_name
        start, end = message.byte_range
        try:
            lines = range_lines_read(
                name=name,
                start=start,
                end=end,
                max_line_bytes=settings.PIPELINE_UPLOAD_RANGE_BYTES,
            )
            elements = range_elements(spec, lines)
        except BadLine as exc:
            line = storage_newlines_before(name, exc.position) + 1
            reason = f"The uploaded file cannot be used: Line {line}{exc.problem}"
            run_fail(run=run, reason=reason)
            logger.info("pipeline run %s failed reading its file: %s", run.id, reason)
            return False
        with exact_arithmetic():
            partial = spec.map_valid(elements)
        mapped = partial_store(
            run_id=run.id,
            packet_index=message.packet,
            element_count=len(elements),
            partial=partial,
        )
    reduce_after_commit(pipeline=spec.name, run_id=run.id, request_id=message.request_id)
    return mapped


def dead_letter_range_text(*, dead_letter, max_bytes: int = 64 * 1024) -> str:
    """For a person (the dead letters' view): the start of the text of the range a dead
    map message was to read, or why there is none. Read when asked, never stored twice."""
    try:
        start, end = exact_json.loads(dead_letter.body)["range"]
    except (ValueError, KeyError, TypeError):
        return "— (the message carries its elements)"
    run = dead_letter.run
    if run is None or run.upload_id is None:
        return "— (its run is gone)"
    try:
        data = storage_range_read(run.upload.storage_name, start, min(end - start, max_bytes))
    except Exception as exc:  # deleted by retention, or the storage is down: say so
        return f"— (the file cannot be read: {type(exc).__name__}: {exc})"
    text = data.decode("utf-8", errors="replace")
    return text if end - start <= max_bytes else f"{text}… ({end - start:,} bytes in all)"
