"""Pipelines (docs/contract.md §3): which transport carries their messages, packet sizes, retries,
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
# The largest map message, in bytes as sent (JSON, non-ASCII escaped): packets are cut by
# bytes as well as by count. SQS takes 1 MiB (1,048,576); Celery on an SQS broker
# base64-encodes its task messages (x4/3): give it about 700000 there.
PIPELINE_MAX_MESSAGE_BYTES = env.int("PIPELINE_MAX_MESSAGE_BYTES", default=1_000_000)
# Elements per packet (the book's `packetContains`) and the most a run may have.
PIPELINE_PACKET_SIZE = env.int("PIPELINE_PACKET_SIZE", default=1000)
PIPELINE_MAX_ELEMENTS = env.int("PIPELINE_MAX_ELEMENTS", default=100_000)
# The body limit of the pipelines' POSTs is PIPELINE_MAX_ELEMENTS x this budget (a 12-digit
# number and its comma take 13; the default leaves room for long numbers and spaces):
# 4,000,000 bytes, under Lambda's 6 MB request payload once API Gateway has base64-encoded
# it (x4/3). Other endpoints keep DATA_UPLOAD_MAX_MEMORY_SIZE.
PIPELINE_BODY_BYTES_PER_ELEMENT = env.int("PIPELINE_BODY_BYTES_PER_ELEMENT", default=40)
# Inputs from an uploaded file (pipelines/services/uploads.py): at most this many elements, and a
# file of at most PIPELINE_UPLOAD_MAX_ELEMENTS x PIPELINE_BODY_BYTES_PER_ELEMENT bytes.
PIPELINE_UPLOAD_MAX_ELEMENTS = env.int("PIPELINE_UPLOAD_MAX_ELEMENTS", default=10_000_000)
# Where uploads go in the media storage: <prefix>/<user id>/<upload id>.txt.
PIPELINE_UPLOAD_PREFIX = env("PIPELINE_UPLOAD_PREFIX", default="pipeline-uploads")
PIPELINE_UPLOAD_URL_EXPIRE_SECONDS = env.int("PIPELINE_UPLOAD_URL_EXPIRE_SECONDS", default=3600)
# An uploaded file is cut into ranges of this many bytes, each mapped by one message in
# parallel (its memory; ~300 000 12-digit numbers); also the longest line a file may have.
PIPELINE_UPLOAD_RANGE_BYTES = env.int("PIPELINE_UPLOAD_RANGE_BYTES", default=4 * 1024 * 1024)
# An upload that starts no run is deleted (file and row) by the cleanup job after this long;
# a run's file lives as long as its run's input (docs/contract.md §3.8).
PIPELINE_UPLOAD_EXPIRE_HOURS = env.int("PIPELINE_UPLOAD_EXPIRE_HOURS", default=24)
# Bytes one user's unstarted uploads may hold together (on S3 each counts its maxBytes until
# it starts a run, since the file goes to S3 without us): 2.5 full-size files by default.
PIPELINE_UPLOAD_QUOTA_BYTES = env.int("PIPELINE_UPLOAD_QUOTA_BYTES", default=1_000_000_000)
# Scratchpad partials one reduce transaction folds at most.
PIPELINE_REDUCE_BATCH = env.int("PIPELINE_REDUCE_BATCH", default=500)
# Celery: attempts before a message is dead-lettered, and the exponential backoff between.
PIPELINE_MAX_ATTEMPTS = env.int("PIPELINE_MAX_ATTEMPTS", default=10)
PIPELINE_RETRY_BACKOFF_SECONDS = env.float("PIPELINE_RETRY_BACKOFF_SECONDS", default=2.0)
# A step is milliseconds of work; a Celery task running this long is killed and retried.
PIPELINE_STEP_TIME_LIMIT = env.int("PIPELINE_STEP_TIME_LIMIT", default=120)
# Kept under the broker's visibility timeout (config/settings/celery.py, checked at start):
# on Redis a countdown longer than it is delivered again and again.
PIPELINE_RETRY_BACKOFF_MAX_SECONDS = env.float("PIPELINE_RETRY_BACKOFF_MAX_SECONDS", default=120.0)
# Cleanup (every PIPELINE_CLEANUP_EVERY_SECONDS, and once when a worker with beat starts):
# a pending run with no progress and nothing sent for this long is re-driven; after this
# many re-drives without finishing it is failed with a reason.
PIPELINE_STALL_AFTER_SECONDS = env.int("PIPELINE_STALL_AFTER_SECONDS", default=5 * 60)
PIPELINE_MAX_REDRIVES = env.int("PIPELINE_MAX_REDRIVES", default=3)
# The stall watch (every PIPELINE_STALL_WATCH_EVERY_SECONDS, config/settings/celery.py and
# Zappa's 1-minute schedule): a run with no progress and nothing sent for this long gets its
# first re-drive without waiting for the cleanup. 180 s + the 60 s interval keeps a purged
# queue's recovery under 5 minutes; it is longer than the slowest healthy pause of a run
# (a step's 120 s time limit, the 120 s backoff ceiling), so a busy run is rarely re-sent.
PIPELINE_STALL_WATCH_AFTER_SECONDS = env.int("PIPELINE_STALL_WATCH_AFTER_SECONDS", default=3 * 60)
# A run stored while the queue was down is sent by the cleanup job after this long (the
# request that stored it may still be sending it).
PIPELINE_UNSENT_AFTER_SECONDS = env.int("PIPELINE_UNSENT_AFTER_SECONDS", default=60)
# A stalled run whose map queue still holds messages waits its turn instead of being
# re-sent, for at most this long after its last send.
PIPELINE_BACKLOG_MAX_WAIT_SECONDS = env.int(
    "PIPELINE_BACKLOG_MAX_WAIT_SECONDS", default=6 * 60 * 60
)
# Finished runs keep their input text this many days; then the cleanup job drops it.
PIPELINE_RETENTION_DAYS = env.int("PIPELINE_RETENTION_DAYS", default=30)
