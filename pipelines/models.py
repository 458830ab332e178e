"""Runs, their input packets, the scratchpad of mapped partials, results and dead letters.

Values (elements, partials, results) are stored as exact JSON text (pipelines.exact_json):
Django's JSONField would turn decimals into floats on the way out.
"""

import uuid

from django.conf import settings
from django.db import models


class RunState(models.TextChoices):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Upload(models.Model):
    """A file a user uploads as a run's input (pipelines.services.uploads): its storage name
    is chosen by the server under the owner's prefix, never named by the user. Its id is
    `uploadId`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pipeline_uploads"
    )
    pipeline = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    bytes = models.BigIntegerField(
        default=0,
        help_text="What it counts against its owner's quota of unstarted uploads: the bytes "
        "stored by the PUT, or on S3 the presigned POST's maxBytes until a run starts (then "
        "the file's size).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self):
        return f"{self.pipeline} upload {self.id}"


class PipelineRun(models.Model):
    """One execution of a pipeline over an array; its id is the API's `arrayId`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pipeline = models.CharField(max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pipeline_runs"
    )
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.PENDING)
    element_count = models.PositiveIntegerField()
    packet_size = models.PositiveIntegerField()
    packet_count = models.PositiveIntegerField()
    failure_reason = models.TextField(blank=True)
    redrive_count = models.PositiveIntegerField(
        default=0, help_text="How often the cleanup job re-sent this run's unfinished work."
    )
    last_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its messages were last handed to the queue (empty: never sent, e.g. "
        "the broker was down at start; the cleanup job sends it).",
    )
    request_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The HTTP request that started it: its messages carry it into every log "
        "line of the run.",
    )
    purged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the retention job dropped its packets' input text (finished runs).",
    )
    upload = models.OneToOneField(
        Upload,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="run",
        help_text="The uploaded file the run reads its input from (empty: the POST's array).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self):
        return f"{self.pipeline} {self.id}"


class Packet(models.Model):
    """A slice of a run's input: the book's `packetContains` elements as they were enqueued,
    or, for a run over an uploaded file, a byte range of the file that its map reads itself
    (docs/pipelines.md "Big inputs"; the text stays in the file)."""

    run = models.ForeignKey(PipelineRun, on_delete=models.CASCADE, related_name="packets")
    index = models.PositiveIntegerField()
    elements_json = models.TextField(blank=True)
    element_count = models.PositiveIntegerField(
        default=0, help_text="Elements of a POSTed packet (a range's count is its partial's)."
    )
    byte_start = models.BigIntegerField(
        null=True, blank=True, help_text="A range of the run's file: its first byte."
    )
    byte_end = models.BigIntegerField(
        null=True, blank=True, help_text="A range of the run's file: the byte after its last."
    )

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="packet_unique_index"),
        ]

    def __str__(self):
        return f"packet {self.index} of {self.run_id}"


class ScratchpadEntry(models.Model):
    """The map step's partial for one packet; its existence is the packet's "mapped" mark,
    `reduced_at` is its "reduced" mark."""

    run = models.ForeignKey(PipelineRun, on_delete=models.CASCADE, related_name="scratchpad")
    packet = models.OneToOneField(Packet, on_delete=models.CASCADE, related_name="scratchpad")
    packet_index = models.PositiveIntegerField()
    element_count = models.PositiveIntegerField()
    value_json = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    reduced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "scratchpad entries"
        ordering = ["run", "packet_index"]
        indexes = [
            models.Index(
                fields=["run", "packet_index"],
                condition=models.Q(reduced_at__isnull=True),
                name="scratchpad_unreduced",
            ),
        ]

    def __str__(self):
        return f"partial of packet {self.packet_index} of {self.run_id}"


class RunResult(models.Model):
    """The reduce step's accumulator: folded partials so far, and how much they cover."""

    run = models.OneToOneField(
        PipelineRun, on_delete=models.CASCADE, primary_key=True, related_name="result"
    )
    value_json = models.TextField()
    packets_reduced = models.PositiveIntegerField(default=0)
    elements_reduced = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"result of {self.run_id}"


class DeadLetterSource(models.TextChoices):
    CELERY = "celery", "Celery (attempts exhausted)"
    SQS = "sqs", "SQS dead-letter queue"


class DeadLetter(models.Model):
    """A message no attempt could process: Celery's, stored after the last retry, and SQS
    dead-letter queue messages fetched into the admin. Replay re-sends `body` to `step`."""

    source = models.CharField(max_length=16, choices=DeadLetterSource.choices)
    step = models.CharField(max_length=16)
    body = models.TextField(help_text="The message exactly as it was queued (plain JSON).")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=128, blank=True)
    run = models.ForeignKey(
        PipelineRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dead_letters",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when its run finished after all (e.g. a re-drive): nothing left to do.",
    )

    class Meta:
        ordering = ["-created_at"]
        # On AWS fetching drains the SQS dead-letter queues into this table: its own right.
        permissions = [
            ("fetch_sqs_deadletter", "Can fetch the SQS dead-letter queues into the admin"),
        ]
        constraints = [
            # Fetching a DLQ twice must not list a message twice.
            models.UniqueConstraint(
                fields=["source", "message_id"],
                condition=~models.Q(message_id=""),
                name="dead_letter_unique_message",
            ),
        ]

    def __str__(self):
        return f"{self.step} dead letter {self.pk}"
