"""Pipeline domain logic, the same for every transport: start a run, map a packet, reduce,
re-drive, clean up, and keep dead letters.

Every step is replayable (design §3.2): the effect and its "done" mark commit in one
transaction, and a message delivered twice finds the mark and changes nothing. Messages are
sent with transaction.on_commit, never before the rows they point to exist.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from api.errors import ApiError
from monitoring.metrics import metric_record
from monitoring.request_context import current_request_id, trace_bound
from pipelines import exact_json
from pipelines.arithmetic import exact_arithmetic
from pipelines.messages import (
    LOAD,
    MAP,
    REDUCE,
    REQUEST_ID_MAX_LENGTH,
    StepMessage,
    load_message,
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
access_logger = logging.getLogger("monitoring.access")


# --- start ---------------------------------------------------------------------------------

def run_start(*, owner, pipeline: str, elements, packet_size: int | None = None) -> PipelineRun:
    """Validate the input, store the run and its packets, and queue one map message per
    packet once committed. An empty input is a finished run (the sum of nothing is 0).

    The returned run's `queued` says whether its messages reached the queue. When the queue
    is down the run is kept (nothing the client sent is lost) and the cleanup job sends it
    (PIPELINE_UNSENT_AFTER_SECONDS later); None means an outer transaction defers the send."""
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
    packets = packets_cut(spec=spec, elements=elements,
                          max_count=packet_size or settings.PIPELINE_PACKET_SIZE)
    request_id = current_request_id.get() or ""
    with transaction.atomic():
        run = PipelineRun.objects.create(
            pipeline=spec.name, owner=owner, element_count=len(elements),
            packet_size=packet_size or settings.PIPELINE_PACKET_SIZE,
            packet_count=len(packets), request_id=request_id)
        RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
        Packet.objects.bulk_create(
            [Packet(run=run, index=index, elements_json=text, element_count=len(chunk))
             for index, (chunk, text) in enumerate(packets)],
            batch_size=1000)
        if not packets:
            _run_finish(run.id)
            run.refresh_from_db()
        messages = [map_message(pipeline=spec.name, run_id=run.id, packet=index,
                                elements=chunk, elements_json=text,
                                request_id=request_id or None)
                    for index, (chunk, text) in enumerate(packets)]
    run.queued = True
    if not messages:
        return run
    if connection.in_atomic_block:
        # A caller's transaction: the rows exist for the queue only once it commits.
        transaction.on_commit(lambda: _run_send_or_leave_to_cleanup(run.id, messages),
                              robust=True)
        run.queued = None
    else:
        run.queued = _run_send_or_leave_to_cleanup(run.id, messages)
    return run


def packets_cut(*, spec, elements: list, max_count: int) -> list[tuple[list, str]]:
    """Cut the input into packets of at most `max_count` elements AND at most
    PIPELINE_MAX_MESSAGE_BYTES per map message as sent (JSON-escaped UTF-8), so every
    message fits the transport (SQS: 1 MiB). An element that cannot fit a message alone is
    refused here, at the door, naming it. Returns (elements, their JSON text) per packet."""
    envelope = len(map_message(pipeline=spec.name, run_id=uuid.UUID(int=0), packet=10**9,
                               elements=None, elements_json="[]",
                               request_id="x" * REQUEST_ID_MAX_LENGTH).to_json().encode())
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
                fields={"array": f"element {position}: at most {budget - 2} bytes encoded"})
        if chunk and (len(chunk) >= max_count or size + 1 + length > budget):
            packets.append((chunk, "[" + ",".join(texts) + "]"))
            chunk, texts, size = [], [], 2
        size += length + (1 if chunk else 0)
        chunk.append(element)
        texts.append(text)
    if chunk:
        packets.append((chunk, "[" + ",".join(texts) + "]"))
    return packets


def _run_send(*, run_id, messages: list[StepMessage]) -> None:
    """Hand the messages to the queue and stamp the run; raises when the queue refuses."""
    if messages:
        messages_send(messages)
    # update(): not a change of progress, so `updated_at` stays as it was.
    PipelineRun.objects.filter(id=run_id).update(last_sent_at=timezone.now())


def _run_send_or_leave_to_cleanup(run_id, messages: list[StepMessage]) -> bool:
    try:
        _run_send(run_id=run_id, messages=messages)
    except Exception:
        logger.exception("pipeline run %s stored but not queued: the cleanup job will send it",
                         run_id)
        return False
    return True


# --- steps ---------------------------------------------------------------------------------

def step_handle(*, step: str, body: str) -> None:
    """Run one queued message. Raises on failure, so the queue retries it.

    Its log lines carry the request id of the HTTP request that started the run; one access
    line and one metric event per message (part `pipelines.<pipeline>`)."""
    message = message_parse(body, expected_step=step)
    started = time.perf_counter()
    outcome = "ok"
    with trace_bound(request_id=message.request_id):
        try:
            if message.step == MAP:
                packet_map(message=message)
            elif message.step == LOAD:
                from pipelines.uploads import run_load_slice  # uploads imports this module

                run_load_slice(message=message)
            else:
                run_reduce(message=message)
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}"
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            access_logger.info(
                "pipeline %s %s %s", message.pipeline, message.step, outcome,
                extra={"route": f"pipelines.{message.pipeline}", "step": message.step,
                       "run_id": str(message.run_id), "packet": message.packet,
                       "outcome": outcome, "duration_ms": round(duration_ms, 3)})
            metric_record(part=f"pipelines.{message.pipeline}", errors=int(outcome != "ok"),
                          duration_ms=duration_ms)


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
    reduce = reduce_message(pipeline=spec.name, run_id=run.id, request_id=message.request_id)
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
            "id", "state", "packet_count", "upload_id", "loaded_at").first()
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
        if run.loading:
            # Read again under the result's lock: the load's last slice takes the same lock
            # before it checks for the finish, so one of the two sees the other's commit.
            run.refresh_from_db(fields=["packet_count", "loaded_at"])
        # While loading more packets may come: the load's last slice finishes the run then.
        if not run.loading and result.packets_reduced >= run.packet_count:
            _run_finish(run.id)
        elif len(entries) == limit:
            more = reduce_message(pipeline=spec.name, run_id=run.id,
                                  request_id=message.request_id)
            transaction.on_commit(lambda: messages_send([more]))
    return len(entries)


def _run_finish(run_id) -> None:
    """pending -> done, never failed -> done: a client that saw `failed` keeps seeing it.
    The run's open dead letters are resolved: nothing is left for them to do."""
    now = timezone.now()
    finished = PipelineRun.objects.filter(id=run_id, state=RunState.PENDING).update(
        state=RunState.DONE, finished_at=now, failure_reason="", updated_at=now)
    if finished:
        DeadLetter.objects.filter(run_id=run_id, resolved_at__isnull=True).update(
            resolved_at=now)


# --- re-drive and cleanup --------------------------------------------------------------------

def _run_pending_messages(run: PipelineRun) -> list[StepMessage]:
    """A map message for every packet not in the scratchpad and a reduce message if partials
    wait: what the run still needs. Replayable steps make re-sending safe."""
    unmapped = (Packet.objects.filter(run_id=run.id, scratchpad__isnull=True)
                .order_by("index").only("index", "elements_json"))
    messages: list[StepMessage] = [
        map_message(pipeline=run.pipeline, run_id=run.id, packet=packet.index, elements=None,
                    elements_json=packet.elements_json, request_id=run.request_id or None)
        for packet in unmapped]
    if ScratchpadEntry.objects.filter(run_id=run.id, reduced_at__isnull=True).exists():
        messages.append(reduce_message(pipeline=run.pipeline, run_id=run.id,
                                       request_id=run.request_id or None))
    if run.loading:  # an upload run whose file is not all loaded: its next slice
        messages.append(load_message(pipeline=run.pipeline, run_id=run.id,
                                     offset=run.load_offset, request_id=run.request_id or None))
    return messages


def run_redrive(*, run: PipelineRun) -> int:
    """Queue again whatever a run still needs; returns the number of messages queued.
    Raises when the queue refuses them (the caller reports it for this run alone)."""
    messages = _run_pending_messages(run)
    PipelineRun.objects.filter(id=run.id).update(
        redrive_count=F("redrive_count") + 1, updated_at=timezone.now())
    _run_send(run_id=run.id, messages=messages)
    return len(messages)


def run_fail(*, run: PipelineRun, reason: str) -> None:
    failed = PipelineRun.objects.filter(id=run.id, state=RunState.PENDING).update(
        state=RunState.FAILED, failure_reason=reason, finished_at=timezone.now(),
        updated_at=timezone.now())
    if failed:  # a run that never succeeds: the pipeline's failure rate
        metric_record(part=f"pipelines.{run.pipeline}", count=0, failures=1)


def runs_stalled(*, now=None):
    """Pending runs with no progress (run, scratchpad or result change) and nothing sent for
    the stall time, oldest first (a stable order: each job run handles the same runs first)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PIPELINE_STALL_AFTER_SECONDS)
    return (
        PipelineRun.objects.filter(state=RunState.PENDING, updated_at__lte=cutoff,
                                   last_sent_at__lte=cutoff)
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
        state=RunState.PENDING, last_sent_at__isnull=True, created_at__lte=cutoff,
    ).order_by("created_at", "id")


def _run_waits_in_backlog(run: PipelineRun, *, now, queue_depths: dict) -> bool:
    """A run whose unmapped packets were sent while the map queue still holds messages is
    waiting its turn, not stalled: re-sending would only multiply the backlog. Past
    PIPELINE_BACKLOG_MAX_WAIT_SECONDS since its last send it is re-driven anyway."""
    if run.last_sent_at and (now - run.last_sent_at).total_seconds() > (
            settings.PIPELINE_BACKLOG_MAX_WAIT_SECONDS):
        return False
    if MAP not in queue_depths:
        from pipelines.transports import transport_get

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
    if run.loading:
        stuck.append(f"the uploaded file could not be loaded past byte {run.load_offset}")
    return (f"No progress after {run.redrive_count} re-drives: "
            f"{'; '.join(stuck) or 'nothing left to do'}; see the dead letters.")


def runs_cleanup(*, now=None) -> dict:
    """The scheduled job (docs/pipelines.md "Cleanup"): send runs the queue never got,
    re-drive stalled runs, fail hopeless ones, leave runs waiting in a backlog alone, resolve
    dead letters of finished runs and drop old finished runs' input text.

    Each run is handled on its own: one that cannot be sent is reported under `errors` and
    the job goes on with the others."""
    now = now or timezone.now()
    summary: dict = {"sent": [], "redriven": [], "failed": [], "waiting": [], "errors": {},
                     "purged": 0}

    def isolated(run, action) -> None:
        try:
            action(run)
        except Exception as exc:
            logger.exception("pipeline cleanup could not handle run %s", run.id)
            summary["errors"][str(run.id)] = f"{type(exc).__name__}: {exc}"

    def send(run) -> None:
        _run_send(run_id=run.id, messages=_run_pending_messages(run))
        summary["sent"].append(str(run.id))

    queue_depths: dict = {}

    def unstick(run) -> None:
        if _run_waits_in_backlog(run, now=now, queue_depths=queue_depths):
            summary["waiting"].append(str(run.id))
        elif run.redrive_count >= settings.PIPELINE_MAX_REDRIVES:
            run_fail(run=run, reason=_run_hopeless_reason(run))
            summary["failed"].append(str(run.id))
        else:
            run_redrive(run=run)
            summary["redriven"].append(str(run.id))

    for run in runs_unsent(now=now):
        isolated(run, send)
    for run in runs_stalled(now=now):
        isolated(run, unstick)
    # Letters whose run finished some other way (e.g. their packet was mapped by a re-drive).
    DeadLetter.objects.filter(resolved_at__isnull=True, run__state=RunState.DONE).update(
        resolved_at=now)
    summary["purged"] = runs_purge_finished(now=now)
    if any(summary[key] for key in ("sent", "redriven", "failed", "errors")):
        logger.info("pipeline cleanup", extra={"cleanup": summary})
    return summary


def runs_purge_finished(*, now=None, batch: int = 500) -> int:
    """Drop the input text (packets, and an uploaded file) of runs finished more than
    PIPELINE_RETENTION_DAYS ago (the run, its result and any dead letters stay). Returns how
    many runs were purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PIPELINE_RETENTION_DAYS)
    run_ids = list(PipelineRun.objects.filter(
        state__in=[RunState.DONE, RunState.FAILED], finished_at__lte=cutoff,
        purged_at__isnull=True).order_by("finished_at").values_list("id", flat=True)[:batch])
    if not run_ids:
        return 0
    with transaction.atomic():
        Packet.objects.filter(run_id__in=run_ids).update(elements_json="[]")
        ScratchpadEntry.objects.filter(run_id__in=run_ids).delete()
        PipelineRun.objects.filter(id__in=run_ids).update(purged_at=now)
    from pipelines.uploads import upload_files_delete  # uploads imports this module

    upload_files_delete(run_ids=run_ids)  # and the files runs were loaded from
    return len(run_ids)


# --- dead letters ----------------------------------------------------------------------------

def _run_id_of(body: str):
    try:
        return uuid.UUID(exact_json.loads(body)["runId"])
    except (ValueError, KeyError, TypeError):
        return None


def dead_letter_store(*, source: str, step: str, body: str, error: str = "", attempts: int = 0,
                      message_id: str = "") -> DeadLetter:
    """Park a message no attempt could process. The same message failing again (each re-drive
    re-sends it) updates its open letter instead of adding another."""
    run_id = _run_id_of(body)
    run_state = PipelineRun.objects.filter(id=run_id).values_list(
        "state", flat=True).first() if run_id else None
    if run_state is None:
        run_id = None
    if message_id:
        already = DeadLetter.objects.filter(source=source, message_id=message_id).first()
        if already is not None:  # the same SQS message fetched twice
            return already
    open_letter = DeadLetter.objects.filter(
        step=step, body=body, resolved_at__isnull=True).order_by("created_at").first()
    if open_letter is not None:
        DeadLetter.objects.filter(pk=open_letter.pk).update(
            attempts=F("attempts") + attempts, error=error or open_letter.error)
        open_letter.refresh_from_db()
        return open_letter
    resolved_at = timezone.now() if run_state == RunState.DONE else None
    if message_id:
        letter, _ = DeadLetter.objects.get_or_create(
            source=source, message_id=message_id,
            defaults={"step": step, "body": body, "error": error, "attempts": attempts,
                      "run_id": run_id, "resolved_at": resolved_at})
        return letter
    return DeadLetter.objects.create(source=source, step=step, body=body, error=error,
                                     attempts=attempts, run_id=run_id, resolved_at=resolved_at)


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
