"""Dead letters: messages no attempt could process, kept (deduplicated), replayed or dropped;
SQS's dead-letter queues moved into the same list."""

import uuid

from django.db.models import F
from django.utils import timezone

from pipelines import exact_json
from pipelines.messages import MAP, REDUCE
from pipelines.models import DeadLetter, DeadLetterSource, PipelineRun, RunState
from pipelines.transports import bodies_send
from pipelines.transports.sqs import dead_letter_queue_drain


def _run_id_of(body: str):
    try:
        return uuid.UUID(exact_json.loads(body)["runId"])
    except (ValueError, KeyError, TypeError):
        return None


def dead_letter_store(
    *, source: str, step: str, body: str, error: str = "", attempts: int = 0, message_id: str = ""
) -> DeadLetter:
    """Park a message no attempt could process. The same message failing again (each re-drive
    re-sends it) updates its open letter instead of adding another."""
    run_id = _run_id_of(body)
    run_state = (
        PipelineRun.objects.filter(id=run_id).values_list("state", flat=True).first()
        if run_id
        else None
    )
    if run_state is None:
        run_id = None
    if message_id:
        already = DeadLetter.objects.filter(source=source, message_id=message_id).first()
        if already is not None:  # the same SQS message fetched twice
            return already
    open_letter = (
        DeadLetter.objects.filter(step=step, body=body, resolved_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    if open_letter is not None:
        DeadLetter.objects.filter(pk=open_letter.pk).update(
            attempts=F("attempts") + attempts, error=error or open_letter.error
        )
        open_letter.refresh_from_db()
        return open_letter
    resolved_at = timezone.now() if run_state == RunState.DONE else None
    if message_id:
        letter, _ = DeadLetter.objects.get_or_create(
            source=source,
            message_id=message_id,
            defaults={
                "step": step,
                "body": body,
                "error": error,
                "attempts": attempts,
                "run_id": run_id,
                "resolved_at": resolved_at,
            },
        )
        return letter
    return DeadLetter.objects.create(
        source=source,
        step=step,
        body=body,
        error=error,
        attempts=attempts,
        run_id=run_id,
        resolved_at=resolved_at,
    )


def dead_letter_replay(*, dead_letter: DeadLetter) -> None:
    """Send the message again, exactly as it was, to its step; then forget the letter."""
    bodies_send(dead_letter.step, [dead_letter.body])
    dead_letter.delete()


def dead_letter_drop(*, dead_letter: DeadLetter) -> None:
    dead_letter.delete()


def sqs_dead_letters_fetch(*, max_messages: int = 1000) -> int:
    """Move the messages of the steps' SQS dead-letter queues into the admin's dead letters
    (stored first, then deleted from the queue; fetching twice stores a message once)."""
    fetched = 0
    for step in (MAP, REDUCE):

        def store(message, step=step) -> None:
            dead_letter_store(
                source=DeadLetterSource.SQS,
                step=step,
                body=message.body,
                message_id=message.message_id,
                attempts=message.receive_count,
                error="moved to the dead-letter queue by SQS after maxReceiveCount receives",
            )

        fetched += dead_letter_queue_drain(step, store=store, max_messages=max_messages - fetched)
    return fetched
