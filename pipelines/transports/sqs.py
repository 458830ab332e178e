"""SQS adapter: messages go to the step's queue in batches of 10 (SQS's maximum per call).

Each queue has a dead-letter queue through its RedrivePolicy (maxReceiveCount 10, DLQ kept
14 days); on Lambda, Zappa `events` map each queue to a consumer in
pipelines.lambda_consumers.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

SQS_BATCH_LIMIT = 10
# SendMessageBatch takes at most this many bytes of message bodies in one call (1 MiB).
SQS_BATCH_BYTES = 1_048_576


class QueueNotConfigured(LookupError):
    pass


def queue_url(step: str) -> str:
    url = (settings.PIPELINE_QUEUE_URLS or {}).get(step)
    if not url:
        raise QueueNotConfigured(
            f"no SQS queue URL for pipeline step {step!r}: set PIPELINE_{step.upper()}_QUEUE_URL"
        )
    return url


def sqs_client():
    # Keyed by endpoint so a process whose AWS_ENDPOINT_URL changes (tests) gets a new client.
    return _sqs_client(settings.AWS_REGION, os.environ.get("AWS_ENDPOINT_URL"))


@lru_cache(maxsize=4)
def _sqs_client(region: str, endpoint_url: str | None):
    import boto3  # ~100 ms to import: only a process that talks to SQS pays for it

    return boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)


class SqsTransport:
    name = "sqs"

    def send(self, step: str, bodies: list[str]) -> None:
        url = queue_url(step)
        client = sqs_client()
        for chunk in batches_by_size(bodies):
            entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
            failed = client.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
            if failed:
                # One more try for the entries SQS refused (throttling); then fail loudly so
                # the caller's message is retried rather than a packet silently dropped.
                retry_ids = {entry["Id"] for entry in failed}
                retry = [entry for entry in entries if entry["Id"] in retry_ids]
                still_failed = client.send_message_batch(QueueUrl=url, Entries=retry).get("Failed")
                if still_failed:
                    raise RuntimeError(f"SQS refused {len(still_failed)} messages: {still_failed}")

    def queue_depth(self, step: str) -> int | None:
        attributes = (
            sqs_client()
            .get_queue_attributes(
                QueueUrl=queue_url(step),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )
            .get("Attributes", {})
        )
        return sum(int(value) for value in attributes.values())


def batches_by_size(bodies: list[str]) -> list[list[str]]:
    """Groups of at most 10 bodies and 1 MiB in all, SQS's limits for one batch call."""
    batches: list[list[str]] = []
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if batch and (len(batch) == SQS_BATCH_LIMIT or size + length > SQS_BATCH_BYTES):
            batches.append(batch)
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        batches.append(batch)
    return batches


def dead_letter_queue_url(step: str) -> str:
    """The step queue's dead-letter queue, read from its RedrivePolicy (one source of truth)."""
    client = sqs_client()
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url(step), AttributeNames=["RedrivePolicy"]
    ).get("Attributes", {})
    if "RedrivePolicy" not in attributes:
        raise QueueNotConfigured(f"the {step} queue has no RedrivePolicy (no dead-letter queue)")
    target_arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    account, name = target_arn.split(":")[4:6]
    return client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


@dataclass(frozen=True)
class ReceivedMessage:
    body: str
    message_id: str
    receive_count: int


def dead_letter_queue_drain(
    step: str, *, store: Callable[[ReceivedMessage], None], max_messages: int
) -> int:
    """Receive the step's dead-letter queue in batches of 10 until it is empty or
    `max_messages` were taken; each batch is deleted from the queue only after `store`
    returned for every message in it (so a message is never deleted unstored). Returns how
    many messages were taken."""
    client = sqs_client()
    dlq_url = dead_letter_queue_url(step)
    taken = 0
    while taken < max_messages:
        received = client.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            break
        for message in received:
            store(
                ReceivedMessage(
                    body=message["Body"],
                    message_id=message["MessageId"],
                    receive_count=int(
                        message.get("Attributes", {}).get("ApproximateReceiveCount", 0)
                    ),
                )
            )
        client.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(received)
            ],
        )
        taken += len(received)
    return taken
