"""One interface over the queues: `messages_send(messages)`; the adapter comes from settings.

PIPELINE_TRANSPORT = "celery" (worker deployments and the local default: Celery on Redis,
RabbitMQ, SQS or kombu's filesystem broker) or "sqs" (Lambda: SQS queues mapped to
consumer functions by Zappa `events`). Adapters import their client libraries lazily.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from pipelines.messages import QUEUE_OF_STEP, StepMessage

TRANSPORTS = {
    "celery": "pipelines.transports.celery.CeleryTransport",
    "sqs": "pipelines.transports.sqs.SqsTransport",
}


class Transport(Protocol):
    name: str

    def send(self, step: str, bodies: list[str]) -> None:
        """Queue each body (plain JSON text) for `step`; raise if any could not be queued."""

    def queue_depth(self, step: str) -> int | None:
        """Messages waiting in (or being worked on from) the step's queue; None if unknown."""


def transport_get(name: str | None = None) -> Transport:
    name = name or settings.PIPELINE_TRANSPORT
    try:
        return import_string(TRANSPORTS[name])()
    except KeyError:
        raise LookupError(
            f"PIPELINE_TRANSPORT={name!r}; expected one of {sorted(TRANSPORTS)}"
        ) from None


def messages_send(messages: Iterable[StepMessage], *, transport: Transport | None = None) -> int:
    """Send messages grouped by the queue of their step; returns how many were sent."""
    by_step: dict[str, list[str]] = defaultdict(list)
    for message in messages:
        by_step[QUEUE_OF_STEP[message.step]].append(message.to_json())
    transport = transport or transport_get()
    for step, bodies in by_step.items():
        transport.send(step, bodies)
    return sum(len(bodies) for bodies in by_step.values())


def bodies_send(step: str, bodies: list[str], *, transport: Transport | None = None) -> None:
    """Send raw bodies (a dead letter being replayed keeps its exact text)."""
    (transport or transport_get()).send(step, bodies)
