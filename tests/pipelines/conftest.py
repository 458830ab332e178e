"""Pipelines fixtures: SQS queues with dead-letter queues in moto, a driver playing Lambda's
event source mapping through Zappa's real handler, and real Celery workers on Redis."""

import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks.lambda_events import queue_arn, sqs_messages_event
from tests.helpers.observed import access_lines, metric_events  # noqa: F401
from tests.helpers.pipelines import PROJECT_ROOT, database_url, point_celery_app_at

DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60
MAX_RECEIVE_COUNT = 10
CONSUMERS = {
    "map": "pipelines.lambda_consumers.consume_map",
    "reduce": "pipelines.lambda_consumers.consume_reduce",
}


@dataclass
class StepQueue:
    step: str
    url: str
    arn: str
    dlq_url: str


@dataclass
class SqsEventSourceMapping:
    """Plays Lambda's event source mapping for each step queue: receive up to 10 messages,
    invoke the mapped function through Zappa's handler, delete the messages it did not report
    as failed. Failed ones are made visible again at once (instead of waiting for the
    visibility timeout), so moto's redrive moves a poison message after 10 receives."""

    client: object
    lambda_: object
    queues: dict[str, StepQueue]
    receives: dict[str, int] = field(default_factory=dict)
    invocations: int = 0
    duplicate_every_batch: bool = False

    def poll(self, step: str) -> int:
        queue = self.queues[step]
        messages = self.client.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        for message in messages:
            self.receives[message["MessageId"]] = self.receives.get(message["MessageId"], 0) + 1
        event = sqs_messages_event(messages, arn=queue.arn)
        result = self.lambda_.invoke(event)
        self.invocations += 1
        if self.duplicate_every_batch:
            # At-least-once delivery: the same batch arrives again.
            duplicate = self.lambda_.invoke(event)
            self.invocations += 1
            assert duplicate == result
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.client.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self.client.change_message_visibility(
                    QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        return len(messages)

    def drain(self, max_polls: int = 2000) -> None:
        """Poll every queue until all are empty."""
        for _ in range(max_polls):
            if not sum(self.poll(step) for step in self.queues):
                if all(self.depth(step) == 0 for step in self.queues):
                    return
        raise AssertionError("queues did not drain")

    def depth(self, step: str, *, dead: bool = False) -> int:
        queue = self.queues[step]
        attributes = self.client.get_queue_attributes(
            QueueUrl=queue.dlq_url if dead else queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_bodies(self, step: str) -> list[str]:
        messages = self.client.receive_message(
            QueueUrl=self.queues[step].dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return [message["Body"] for message in messages]


def create_step_queues(client, suffix: str) -> dict[str, StepQueue]:
    """Each step's queue with its dead-letter queue, as the infrastructure will create them."""
    queues = {}
    for step in CONSUMERS:
        dlq_name = f"pipeline-{step}-dlq-{suffix}"
        dlq_url = client.create_queue(
            QueueName=dlq_name, Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
        )["QueueUrl"]
        name = f"pipeline-{step}-{suffix}"
        url = client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": "60",
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": queue_arn(dlq_name),
                        "maxReceiveCount": str(MAX_RECEIVE_COUNT),
                    }
                ),
            },
        )["QueueUrl"]
        queues[step] = StepQueue(step=step, url=url, arn=queue_arn(name), dlq_url=dlq_url)
    return queues


@pytest.fixture
def sqs_queues(aws, settings):
    """Fresh map/reduce queues (and DLQs) in moto; the pipelines use the SQS transport."""
    client = aws.client("sqs")
    queues = create_step_queues(client, uuid.uuid4().hex[:10])
    settings.PIPELINE_TRANSPORT = "sqs"
    settings.PIPELINE_QUEUE_URLS = {step: queue.url for step, queue in queues.items()}
    return queues


@pytest.fixture
def sqs_lambda(aws, sqs_queues, lambda_for_stage):
    """The dev stage with the queues mapped to the consumers, and the event source mappings."""
    events = [
        {"function": CONSUMERS[step], "event_source": {"arn": queue.arn, "batch_size": 10}}
        for step, queue in sqs_queues.items()
    ]
    lambda_ = lambda_for_stage("dev", events=events)
    return SqsEventSourceMapping(client=aws.client("sqs"), lambda_=lambda_, queues=sqs_queues)


# --- Celery on Redis -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def amqp_url() -> str:
    """RabbitMQ (scripts/test sets TEST_AMQP_URL when port 5672 answers)."""
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def amqp_queue(amqp_url, celery_queue):
    """The test's queue on RabbitMQ, deleted after the workers stopped (request it first)."""
    from kombu import Connection

    yield celery_queue
    with Connection(amqp_url) as connection:
        connection.default_channel.queue_delete(celery_queue)


@pytest.fixture
def celery_queue() -> str:
    """A queue of this test's own: parallel runs of the suite share the Redis database."""
    return f"pipelines-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def celery_broker(redis_url, celery_queue, settings):
    """This process's Celery app sends to Redis, into the test's own queue; the pipelines use
    the Celery transport."""
    import redis

    app = point_celery_app_at(redis_url, {"visibility_timeout": 3})
    settings.PIPELINE_TRANSPORT = "celery"
    settings.PIPELINE_CELERY_QUEUES = {"map": celery_queue, "reduce": celery_queue}
    yield app
    point_celery_app_at("memory://", {})
    redis.Redis.from_url(redis_url).delete(celery_queue)


@dataclass
class CeleryWorker:
    """A real `celery -A config.celery worker` process, in its own process group."""

    environment: dict
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self, *, concurrency: int = 2, beat: bool = False) -> "CeleryWorker":
        log = self.log_path.open("ab")
        # The test's own queue; with beat also Celery's default queue, where beat sends.
        queues = ",".join(
            [self.environment["PIPELINE_CELERY_MAP_QUEUE"], *(["celery"] if beat else [])]
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--queues",
                queues,
                *(["--beat"] if beat else []),
            ],
            cwd=PROJECT_ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no shutdown, no acknowledgement."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def celery_worker_factory(celery_broker, celery_queue, redis_url, tmp_path):
    """Factory for worker processes reading the test database (needs transactional_db)."""
    workers: list[CeleryWorker] = []

    def make(**environment) -> CeleryWorker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.django.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis_url,
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            # A SIGKILLed worker may die holding the restore sweep's lock (default 300 s).
            "CELERY_UNACKED_MUTEX_EXPIRE": "2",
            "PIPELINE_TRANSPORT": "celery",
            "PIPELINE_CELERY_MAP_QUEUE": celery_queue,
            "PIPELINE_CELERY_REDUCE_QUEUE": celery_queue,
            "PIPELINE_RETRY_BACKOFF_SECONDS": "0.02",
            "PIPELINE_RETRY_BACKOFF_MAX_SECONDS": "0.2",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
            **{key: str(value) for key, value in environment.items()},
        }
        worker = CeleryWorker(environment=env, log_path=tmp_path / f"worker{len(workers)}.log")
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


@pytest.fixture
def media_root(settings, tmp_path):
    """The local media storage, in a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def s3_media(aws, settings):
    """The AWS stages' media storage: a bucket of the test's own in moto's S3 over HTTP."""
    bucket = f"media-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**settings.S3_MEDIA_OPTIONS, "bucket_name": bucket},
        },
    }
    return bucket


@pytest.fixture(autouse=True)
def no_transport_by_default(settings):
    """A test that queues messages must choose a transport (sqs_queues, celery_broker):
    nothing a test does may land in the developer's local broker folder."""
    settings.PIPELINE_TRANSPORT = "sqs"
    settings.PIPELINE_QUEUE_URLS = {}
