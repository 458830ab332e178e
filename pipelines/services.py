"""Pipeline domain logic, the same for every transport: start a run, map a packet, reduce,
re-drive, clean up, and keep dead letters.

Every step is replayable (design §3.2): the effect and its "done" mark commit in one
transaction, and a message delivered twice finds the mark and changes nothing. Messages are
sent with transaction.on_commit, never before the rows they point to exist.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from api.errors import ApiError
from pipelines import exact_json
from pipelines.arithmetic import exact_arithmetic
from pipelines.messages import (
    MAP,
    REDUCE,
    StepMessage,
    map_message,
    message_parse,
    reduce_message,
)
from pipelines.models import (
    DeadLetter,
    DeadLetterSource,
    Packet,
    PipelineRun,
    RunResult,
    RunState,
    ScratchpadEntry,
)
from pipelines.registry import InvalidElement, pipeline_get
from pipelines.transports import messages_send

logger = logging.getLogger(__name__)


# --- start ---------------------------------------------------------------------------------

def run_start(*, owner, pipeline: str, elements, packet_size: int | None = None) -> PipelineRun:
    """Validate the input, store the run and its packets, and queue one map message per
    packet once committed. An empty input is a finished run (the sum of nothing is 0)."""
    spec = pipeline_get(pipeline)
    if not isinstance(elements, list):
        raise ApiError(f"Please send a JSON array of {spec.element_description}s",
                       fields={"array": "must be a JSON array"})
    limit = settings.PIPELINE_MAX_ELEMENTS
    if len(elements) > limit:
        raise ApiError(f"Too many elements: {len(elements)} (the limit is {limit})",
                       fields={"array": f"at most {limit} elements"})
    for position, element in enumerate(elements):
        try:
            spec.validate_element(element)
        except InvalidElement as exc:
            raise ApiError(f"Element {position} is invalid: {exc}",
                           fields={"array": f"element {position}: {exc}"}) from None
    size = packet_size or settings.PIPELINE_PACKET_SIZE
    chunks = [elements[start:start + size] for start in range(0, len(elements), size)]
    texts = [exact_json.dumps(chunk) for chunk in chunks]
    with transaction.atomic():
        run = PipelineRun.objects.create(
            pipeline=spec.name, owner=owner, element_count=len(elements), packet_size=size,
            packet_count=len(chunks))
        RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
        Packet.objects.bulk_create(
            [Packet(run=run, index=index, elements_json=text, element_count=len(chunk))
             for index, (chunk, text) in enumerate(zip(chunks, texts, strict=True))],
            batch_size=1000)
        if not chunks:
            _run_finish(run.id)
            run.refresh_from_db()
        messages = [map_message(pipeline=spec.name, run_id=run.id, packet=index,
                                elements=chunk, elements_json=text)
                    for index, (chunk, text) in enumerate(zip(chunks, texts, strict=True))]
        # robust: the run is stored; if the queue is down the cleanup job re-drives it.
        transaction.on_commit(lambda: messages_send(messages), robust=True)
    return run


# --- steps ---------------------------------------------------------------------------------

def step_handle(*, step: str, body: str) -> None:
    """Run one queued message. Raises on failure, so the queue retries it."""
    message = message_parse(body, expected_step=step)
    if message.step == MAP:
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
    if not ScratchpadEntry.objects.filter(
            run_id=run.id, packet_index=message.packet).exists():
        try:
            with transaction.atomic():
                packet = Packet.objects.only("id").get(run_id=run.id, index=message.packet)
                ScratchpadEntry.objects.create(
                    run_id=run.id, packet=packet, packet_index=message.packet,
                    element_count=len(message.elements), value_json=exact_json.dumps(partial))
                mapped = True
        except IntegrityError:
            # A concurrent duplicate delivery mapped it first: the unique packet says done.
            mapped = False
    reduce = reduce_message(pipeline=spec.name, run_id=run.id)
    transaction.on_commit(lambda: messages_send([reduce]))
    return mapped


def run_reduce(*, message: StepMessage) -> int:
    """Fold every partial it can claim into the run's result; returns how many it folded.

    Claims use SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel reducers take
    disjoint partials and none waits for another's claim; the result row is then locked for
    the update. A partial's `reduced_at` and the result commit together, so nothing is folded
    twice or lost. When the batch limit was hit another reduce message is queued, so a run
    never stalls with partials left."""
    spec = pipeline_get(message.pipeline)
    limit = settings.PIPELINE_REDUCE_BATCH
    with transaction.atomic():
        run = PipelineRun.objects.filter(id=message.run_id).only(
            "id", "state", "packet_count").first()
        if run is None or run.state == RunState.DONE:
            return 0
        if connection.vendor == "sqlite":
            # SQLite has one writer: take the write lock first so two reducers queue up
            # instead of both reading the same partials and one failing on upgrade.
            RunResult.objects.filter(run_id=run.id).update(updated_at=timezone.now())
        entries = list(
            ScratchpadEntry.objects.select_for_update(skip_locked=True)
            .filter(run_id=run.id, reduced_at__isnull=True)
            .order_by("packet_index")
            .only("id", "element_count", "value_json")[:limit])
        if not entries:
            return 0
        result = RunResult.objects.select_for_update().get(run_id=run.id)
        with exact_arithmetic():
            value = exact_json.loads(result.value_json)
            for entry in entries:
                value = spec.reduce(value, exact_json.loads(entry.value_json))
        ScratchpadEntry.objects.filter(id__in=[entry.id for entry in entries]).update(
            reduced_at=timezone.now())
        result.value_json = exact_json.dumps(value)
        result.packets_reduced = F("packets_reduced") + len(entries)
        result.elements_reduced = F("elements_reduced") + sum(e.element_count for e in entries)
        result.save(update_fields=["value_json", "packets_reduced", "elements_reduced",
                                   "updated_at"])
        result.refresh_from_db(fields=["packets_reduced"])
        if result.packets_reduced >= run.packet_count:
            _run_finish(run.id)
        elif len(entries) == limit:
            more = reduce_message(pipeline=spec.name, run_id=run.id)
            transaction.on_commit(lambda: messages_send([more]))
    return len(entries)


def _run_finish(run_id) -> None:
    PipelineRun.objects.filter(id=run_id).update(
        state=RunState.DONE, finished_at=timezone.now(), failure_reason="",
        updated_at=timezone.now())


# --- re-drive and cleanup --------------------------------------------------------------------

def run_redrive(*, run: PipelineRun) -> int:
    """Queue again whatever a run still needs: a map message for every packet not in the
    scratchpad and a reduce message if partials wait. Replayable steps make re-sending safe.
    Returns the number of messages queued."""
    unmapped = list(
        Packet.objects.filter(run_id=run.id, scratchpad__isnull=True)
        .order_by("index").only("index", "elements_json"))
    messages: list[StepMessage] = [
        map_message(pipeline=run.pipeline, run_id=run.id, packet=packet.index, elements=None,
                    elements_json=packet.elements_json)
        for packet in unmapped]
    if ScratchpadEntry.objects.filter(run_id=run.id, reduced_at__isnull=True).exists():
        messages.append(reduce_message(pipeline=run.pipeline, run_id=run.id))
    with transaction.atomic():
        PipelineRun.objects.filter(id=run.id).update(
            redrive_count=F("redrive_count") + 1, updated_at=timezone.now())
        if messages:
            transaction.on_commit(lambda: messages_send(messages))
    return len(messages)


def run_fail(*, run: PipelineRun, reason: str) -> None:
    PipelineRun.objects.filter(id=run.id, state=RunState.PENDING).update(
        state=RunState.FAILED, failure_reason=reason, finished_at=timezone.now(),
        updated_at=timezone.now())


def runs_stalled(*, now=None):
    """Pending runs with no progress (run, scratchpad or result change) for the stall time."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PIPELINE_STALL_AFTER_SECONDS)
    return (
        PipelineRun.objects.filter(state=RunState.PENDING, updated_at__lte=cutoff)
        .annotate(last_mapped_at=Max("scratchpad__created_at"))
        .filter(Q(last_mapped_at__isnull=True) | Q(last_mapped_at__lte=cutoff))
        .filter(Q(result__isnull=True) | Q(result__updated_at__lte=cutoff))
    )


def runs_cleanup(*, now=None) -> dict:
    """The scheduled job (design §3.5): re-drive stalled runs, fail hopeless ones."""
    redriven, failed = [], []
    for run in runs_stalled(now=now):
        if run.redrive_count >= settings.PIPELINE_MAX_REDRIVES:
            unmapped = Packet.objects.filter(run_id=run.id, scratchpad__isnull=True).count()
            unreduced = ScratchpadEntry.objects.filter(
                run_id=run.id, reduced_at__isnull=True).count()
            stuck = []
            if unmapped:
                stuck.append(f"{unmapped} of {run.packet_count} packets could not be mapped")
            if unreduced:
                stuck.append(f"{unreduced} mapped packets could not be reduced")
            reason = (f"No progress after {run.redrive_count} re-drives: "
                      f"{'; '.join(stuck) or 'nothing left to do'}; see the dead letters.")
            run_fail(run=run, reason=reason)
            failed.append(str(run.id))
        else:
            run_redrive(run=run)
            redriven.append(str(run.id))
    if redriven or failed:
        logger.info("pipeline cleanup", extra={"redriven": redriven, "failed": failed})
    return {"redriven": redriven, "failed": failed}


# --- dead letters ----------------------------------------------------------------------------

def _run_id_of(body: str):
    try:
        return uuid.UUID(exact_json.loads(body)["runId"])
    except (ValueError, KeyError, TypeError):
        return None


def dead_letter_store(*, source: str, step: str, body: str, error: str = "", attempts: int = 0,
                      message_id: str = "") -> DeadLetter:
    run_id = _run_id_of(body)
    if run_id and not PipelineRun.objects.filter(id=run_id).exists():
        run_id = None
    if message_id:
        letter, _ = DeadLetter.objects.get_or_create(
            source=source, message_id=message_id,
            defaults={"step": step, "body": body, "error": error, "attempts": attempts,
                      "run_id": run_id})
        return letter
    return DeadLetter.objects.create(source=source, step=step, body=body, error=error,
                                     attempts=attempts, run_id=run_id)


def dead_letter_replay(*, dead_letter: DeadLetter) -> None:
    """Send the message again, exactly as it was, to its step; then forget the letter."""
    from pipelines.transports import bodies_send

    bodies_send(dead_letter.step, [dead_letter.body])
    dead_letter.delete()


def dead_letter_drop(*, dead_letter: DeadLetter) -> None:
    dead_letter.delete()


def sqs_dead_letters_fetch(*, max_messages: int = 1000) -> int:
    """Move the messages of the steps' SQS dead-letter queues into the admin's dead letters
    (stored first, then deleted from the queue; fetching twice stores a message once)."""
    from pipelines.transports.sqs import dead_letter_queue_url, sqs_client

    client = sqs_client()
    fetched = 0
    for step in (MAP, REDUCE):
        dlq_url = dead_letter_queue_url(step)
        while fetched < max_messages:
            received = client.receive_message(
                QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                VisibilityTimeout=60, AttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            for message in received:
                dead_letter_store(
                    source=DeadLetterSource.SQS, step=step, body=message["Body"],
                    message_id=message["MessageId"],
                    attempts=int(message.get("Attributes", {}).get(
                        "ApproximateReceiveCount", 0)),
                    error="moved to the dead-letter queue by SQS after maxReceiveCount receives")
            client.delete_message_batch(QueueUrl=dlq_url, Entries=[
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(received)])
            fetched += len(received)
    return fetched
