"""Runs: start one (validate, cut into packets, store, send), send its messages, finish or
fail it."""

import logging
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from api.errors import ApiError
from monitoring.metrics import metric_record
from monitoring.request_context import current_request_id
from pipelines import exact_json
from pipelines.messages import REQUEST_ID_MAX_LENGTH, StepMessage, map_message
from pipelines.models import DeadLetter, Packet, PipelineRun, RunResult, RunState
from pipelines.registry import InvalidElement, pipeline_get
from pipelines.transports import messages_send

logger = logging.getLogger(__name__)


def run_start(*, owner, pipeline: str, elements) -> PipelineRun:
    """Validate the input, store the run and its packets, and queue one map message per
    packet once committed. An empty input is a finished run (the sum of nothing is 0).

    The returned run's `queued` says whether its messages reached the queue. When the queue
    is down the run is kept (nothing the client sent is lost) and the cleanup job sends it
    (PIPELINE_UNSENT_AFTER_SECONDS later); None means an outer transaction defers the send."""
    spec = pipeline_get(pipeline)
    if not isinstance(elements, list):
        raise ApiError(
            f"Please send a JSON array of {spec.element_description}s",
            fields={"array": "must be a JSON array"},
        )
    limit = settings.PIPELINE_MAX_ELEMENTS
    if len(elements) > limit:
        raise ApiError(
            f"Too many elements: {len(elements)} (the limit is {limit})",
            fields={"array": f"at most {limit} elements"},
        )
    for position, element in enumerate(elements):
        try:
            spec.validate_element(element)
        except InvalidElement as exc:
            raise ApiError(
                f"Element {position} is invalid: {exc}",
                fields={"array": f"element {position}: {exc}"},
            ) from None
    packet_size = settings.PIPELINE_PACKET_SIZE
    packets = packets_cut(spec=spec, elements=elements, max_count=packet_size)
    request_id = current_request_id.get() or ""
    with transaction.atomic():
        run = PipelineRun.objects.create(
            pipeline=spec.name,
            owner=owner,
            element_count=len(elements),
            packet_size=packet_size,
            packet_count=len(packets),
            request_id=request_id,
        )
        RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
        Packet.objects.bulk_create(
            [
                Packet(run=run, index=index, elements_json=text, element_count=len(chunk))
                for index, (chunk, text) in enumerate(packets)
            ],
            batch_size=1000,
        )
        if not packets:
            run_finish(run.id)
            run.refresh_from_db()
        messages = [
            map_message(
                pipeline=spec.name,
                run_id=run.id,
                packet=index,
                elements=chunk,
                elements_json=text,
                request_id=request_id or None,
            )
            for index, (chunk, text) in enumerate(packets)
        ]
    return run_first_steps_send(run, messages)


def run_first_steps_send(run: PipelineRun, messages: list[StepMessage]) -> PipelineRun:
    """Send a stored run's first messages (its maps): at once, or when the caller's
    transaction commits. `run.queued`: True sent (or nothing to send), False left to the
    cleanup job's send, None sent on commit."""
    run.queued = True
    if not messages:
        return run
    if connection.in_atomic_block:
        # A caller's transaction: the rows exist for the queue only once it commits.
        transaction.on_commit(lambda: run_send_or_leave_to_cleanup(run.id, messages), robust=True)
        run.queued = None
    else:
        run.queued = run_send_or_leave_to_cleanup(run.id, messages)
    return run


def packets_cut(*, spec, elements: list, max_count: int) -> list[tuple[list, str]]:
    """Cut the input into packets of at most `max_count` elements AND at most
    PIPELINE_MAX_MESSAGE_BYTES per map message as sent (JSON-escaped UTF-8), so every
    message fits the transport (SQS: 1 MiB). An element that cannot fit a message alone is
    refused here, at the door, naming it. Returns (elements, their JSON text) per packet."""
    envelope = len(
        map_message(
            pipeline=spec.name,
            run_id=uuid.UUID(int=0),
            packet=10**9,
            elements=None,
            elements_json="[]",
            request_id="x" * REQUEST_ID_MAX_LENGTH,
        )
        .to_json()
        .encode()
    )
    budget = settings.PIPELINE_MAX_MESSAGE_BYTES - envelope  # bytes for "[...]"
    packets: list[tuple[list, str]] = []
    chunk: list = []
    texts: list[str] = []
    size = 2  # the brackets
    for position, element in enumerate(elements):
        text = exact_json.dumps(element)
        # ASCII: exact_json escapes everything else, so characters are bytes.
        length = len(text)
        if length + 2 > budget:
            raise ApiError(
                f"Element {position} is too large: {length} bytes once encoded, and a message "
                f"holds at most {budget - 2}",
                fields={"array": f"element {position}: at most {budget - 2} bytes encoded"},
            )
        if chunk and (len(chunk) >= max_count or size + 1 + length > budget):
            packets.append((chunk, "[" + ",".join(texts) + "]"))
            chunk, texts, size = [], [], 2
        size += length + (1 if chunk else 0)
        chunk.append(element)
        texts.append(text)
    if chunk:
        packets.append((chunk, "[" + ",".join(texts) + "]"))
    return packets


def run_send(*, run_id, messages: list[StepMessage]) -> None:
    """Hand the messages to the queue and stamp the run; raises when the queue refuses."""
    if messages:
        messages_send(messages)
    # update(): not a change of progress, so `updated_at` stays as it was.
    PipelineRun.objects.filter(id=run_id).update(last_sent_at=timezone.now())


def run_send_or_leave_to_cleanup(run_id, messages: list[StepMessage]) -> bool:
    try:
        run_send(run_id=run_id, messages=messages)
    except Exception:
        logger.exception(
            "pipeline run %s stored but not queued: the cleanup job will send it", run_id
        )
        return False
    return True


def run_finish(run_id) -> None:
    """pending -> done, never failed -> done: a client that saw `failed` keeps seeing it.
    The run's open dead letters are resolved: nothing is left for them to do."""
    now = timezone.now()
    finished = PipelineRun.objects.filter(id=run_id, state=RunState.PENDING).update(
        state=RunState.DONE, finished_at=now, failure_reason="", updated_at=now
    )
    if finished:
        DeadLetter.objects.filter(run_id=run_id, resolved_at__isnull=True).update(resolved_at=now)


def run_fail(*, run: PipelineRun, reason: str) -> None:
    failed = PipelineRun.objects.filter(id=run.id, state=RunState.PENDING).update(
        state=RunState.FAILED,
        failure_reason=reason,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if failed:  # a run that never succeeds: the pipeline's failure rate
        metric_record(part=f"pipelines.{run.pipeline}", count=0, failures=1)
