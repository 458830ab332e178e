"""Runs: start one (the one home for it: store, then send its first messages), send its
messages, finish or fail it. A run's input is a JSON array (run_start, here) or an uploaded
file (pipelines/services/uploads.py); both start through run_store_and_send."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from monitoring.metrics import metric_record
from monitoring.request_context import current_request_id
from pipelines import exact_json
from pipelines.messages import REQUEST_ID_MAX_LENGTH, StepMessage, map_message
from pipelines.models import DeadLetter, Packet, PipelineRun, RunResult, RunState
from pipelines.registry import InvalidElement, Pipeline, pipeline_get
from pipelines.transports import messages_send

logger = logging.getLogger(__name__)


class RunInputRefused(Exception):
    """An input no run starts from (nothing is stored). `message` is written for the client;
    `reason` says the same in a few words, about the element at `position` when one is at
    fault (None: the input as a whole). The adapters name the field."""

    def __init__(self, message: str, *, reason: str, position: int | None = None):
        super().__init__(message)
        self.message, self.reason, self.position = message, reason, position


@dataclass(frozen=True)
class RunStarted:
    """A stored run, and whether its first messages reached the queue: True sent (or nothing
    to send), False left to the cleanup job's send (the queue was down), None sent once the
    caller's transaction commits."""

    run: PipelineRun
    queued: bool | None


def run_store_and_send(
    *,
    spec: Pipeline,
    owner,
    claim: Callable[[], dict],
    first_steps: Callable[[PipelineRun], list[StepMessage]],
) -> RunStarted:
    """Start a run, whatever its input. In one transaction: `claim` checks (and locks) what
    the run reads and returns its row's fields, the run and its empty result are stored, and
    `first_steps` stores its packets and returns their maps; a run with none is finished at
    once (the sum of nothing is 0). The maps are sent once that transaction commits (and
    when the caller's own transaction commits, if any)."""
    with transaction.atomic():
        fields = claim()
        run = PipelineRun.objects.create(
            pipeline=spec.name, owner=owner, request_id=current_request_id.get() or "", **fields
        )
        RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
        messages = first_steps(run)
        if not messages:
            run_finish(run.id)
            run.refresh_from_db()
    return RunStarted(run=run, queued=run_first_steps_send(run, messages))


def run_start(*, owner, pipeline: str, elements) -> RunStarted:
    """Start a run over a JSON array: validate it, cut it into packets (PIPELINE_PACKET_SIZE
    elements at most), store them and queue one map per packet. Raises RunInputRefused.

    When the queue is down the run is kept (nothing the client sent is lost) and the cleanup
    job sends it (PIPELINE_UNSENT_AFTER_SECONDS later): RunStarted.queued says which."""
    spec = pipeline_get(pipeline)
    elements_check(spec=spec, elements=elements)
    packet_size = settings.PIPELINE_PACKET_SIZE
    packets = packets_cut(spec=spec, elements=elements, max_count=packet_size)
    return run_store_and_send(
        spec=spec,
        owner=owner,
        claim=lambda: {
            "element_count": len(elements),
            "packet_size": packet_size,
            "packet_count": len(packets),
        },
        first_steps=lambda run: packets_store(run=run, packets=packets),
    )


def elements_check(*, spec: Pipeline, elements) -> None:
    """A JSON array of at most PIPELINE_MAX_ELEMENTS elements the pipeline takes, or
    RunInputRefused naming the first element at fault."""
    if not isinstance(elements, list):
        raise RunInputRefused(
            f"Please send a JSON array of {spec.element_description}s",
            reason="must be a JSON array",
        )
    limit = settings.PIPELINE_MAX_ELEMENTS
    if len(elements) > limit:
        raise RunInputRefused(
            f"Too many elements: {len(elements)} (the limit is {limit})",
            reason=f"at most {limit} elements",
        )
    for position, element in enumerate(elements):
        try:
            spec.validate_element(element)
        except InvalidElement as exc:
            raise RunInputRefused(
                f"Element {position} is invalid: {exc}", reason=str(exc), position=position
            ) from None


def packets_store(*, run: PipelineRun, packets: list[tuple[list, str]]) -> list[StepMessage]:
    """Store the run's packets (inside run_store_and_send's transaction); returns their maps."""
    rows, maps = [], []
    for index, (chunk, text) in enumerate(packets):
        rows.append(Packet(run=run, index=index, elements_json=text, element_count=len(chunk)))
        maps.append(
            map_message(
                pipeline=run.pipeline,
                run_id=run.id,
                packet=index,
                elements=chunk,
                elements_json=text,
                request_id=run.request_id or None,
            )
        )
    Packet.objects.bulk_create(rows, batch_size=1000)
    return maps


def run_first_steps_send(run: PipelineRun, messages: list[StepMessage]) -> bool | None:
    """Send a stored run's first messages (its maps): at once, or when the caller's
    transaction commits. Returns True sent (or nothing to send), False left to the cleanup
    job's send, None sent on commit."""
    if not messages:
        return True
    if connection.in_atomic_block:
        # A caller's transaction: the rows exist for the queue only once it commits.
        transaction.on_commit(lambda: run_send_or_leave_to_cleanup(run.id, messages), robust=True)
        return None
    return run_send_or_leave_to_cleanup(run.id, messages)


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
            raise RunInputRefused(
                f"Element {position} is too large: {length} bytes once encoded, and a message "
                f"holds at most {budget - 2}",
                reason=f"at most {budget - 2} bytes encoded",
                position=position,
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
