"""Pipelines (design §3): which transport carries their messages, packet sizes, retries,
dead-lettering and the cleanup job's thresholds."""

from config.env import env

# "celery" (workers; the local default on the filesystem broker) or "sqs" (Lambda).
PIPELINE_TRANSPORT = env("PIPELINE_TRANSPORT", default="celery")
PIPELINE_CELERY_APP = "config.celery.app"
# Optional dedicated Celery queues per step (empty: Celery's default queue).
PIPELINE_CELERY_QUEUES = {
    "map": env("PIPELINE_CELERY_MAP_QUEUE", default=""),
    "reduce": env("PIPELINE_CELERY_REDUCE_QUEUE", default=""),
}
# SQS queue per step (Lambda); each has a RedrivePolicy to its dead-letter queue.
PIPELINE_QUEUE_URLS = {
    "map": env("PIPELINE_MAP_QUEUE_URL", default=""),
    "reduce": env("PIPELINE_REDUCE_QUEUE_URL", default=""),
}
# The SQS event source mappings have ReportBatchItemFailures (see docs/pipelines.md). Set to
# false while they do not: a batch with a failed message then fails as a whole.
PIPELINE_SQS_PARTIAL_BATCH_RESPONSE = env.bool("PIPELINE_SQS_PARTIAL_BATCH_RESPONSE", default=True)
# Elements per packet (the book's `packetContains`) and the most a run may have.
PIPELINE_PACKET_SIZE = env.int("PIPELINE_PACKET_SIZE", default=1000)
PIPELINE_MAX_ELEMENTS = env.int("PIPELINE_MAX_ELEMENTS", default=100_000)
# Scratchpad partials one reduce transaction folds at most.
PIPELINE_REDUCE_BATCH = env.int("PIPELINE_REDUCE_BATCH", default=500)
# Celery: attempts before a message is dead-lettered, and the exponential backoff between.
PIPELINE_MAX_ATTEMPTS = env.int("PIPELINE_MAX_ATTEMPTS", default=10)
PIPELINE_RETRY_BACKOFF_SECONDS = env.float("PIPELINE_RETRY_BACKOFF_SECONDS", default=2.0)
PIPELINE_RETRY_BACKOFF_MAX_SECONDS = env.float("PIPELINE_RETRY_BACKOFF_MAX_SECONDS", default=600.0)
# Cleanup: a pending run without progress for this long is re-driven; after this many
# re-drives without finishing it is failed with a reason.
PIPELINE_STALL_AFTER_SECONDS = env.int("PIPELINE_STALL_AFTER_SECONDS", default=30 * 60)
PIPELINE_MAX_REDRIVES = env.int("PIPELINE_MAX_REDRIVES", default=3)
