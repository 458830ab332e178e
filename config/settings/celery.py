"""Celery: the broker, delivery guarantees and the beat schedule.

Locally the broker is kombu's filesystem transport under var/ (no extra service); worker
deployments point CELERY_BROKER_URL at Redis, RabbitMQ or SQS. On Lambda Celery is not used:
PIPELINE_TRANSPORT=sqs and SQS events invoke pipelines.lambda_consumers directly.
"""

from pathlib import Path

from config.env import BASE_DIR, env

_BROKER_DIR = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))


def broker_transport_options(broker_url: str) -> dict:
    """kombu's options for `broker_url`'s transport (config/django/test.py asks again for its
    own default broker)."""
    if broker_url.startswith("filesystem"):
        # The folders are created by config.celery (settings are also read on read-only Lambda).
        return {
            "data_folder_in": str(_BROKER_DIR / "out"),
            "data_folder_out": str(_BROKER_DIR / "out"),
            "processed_folder": str(_BROKER_DIR / "processed"),
            "store_processed": False,
            "control_folder": str(_BROKER_DIR / "control"),
            # The filesystem broker is polled; kombu's default (1 s) adds a second per hop.
            "polling_interval": env.float("CELERY_FILESYSTEM_POLLING_INTERVAL", default=0.1),
        }
    # Redis/SQS: an unacknowledged message (its worker was killed) is delivered again after
    # this many seconds. Longer than the slowest task, or a running task is delivered twice
    # (harmless for the replayable pipeline steps, wasteful for anything else).
    return {
        # Sized to the step (PIPELINE_STEP_TIME_LIMIT) plus the longest retry countdown, so a
        # message lost with its worker comes back within minutes, not kombu's hour.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # Redis: how often workers sweep for such messages (kombu: about interval * throttle
        # seconds, 100 by default).
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
        # A worker killed during a sweep leaves the sweep's lock behind for this long.
        "unacked_mutex_expire": env.int("CELERY_UNACKED_MUTEX_EXPIRE", default=300),
    }


CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task's message is acknowledged after it ran, and put back if the worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict = {
    # Re-drives stalled pipeline runs and fails hopeless ones (Lambda: the Zappa schedule
    # event calling pipelines.lambda_consumers.cleanup).
    "pipelines-cleanup": {
        "task": "pipelines.cleanup",
        "schedule": env.float("PIPELINE_CLEANUP_EVERY_SECONDS", default=15 * 60),
    },
    # Gives stalled pipeline runs their first re-drive within minutes (a purged queue), between
    # two cleanups (Lambda: the Zappa schedule calling pipelines.lambda_consumers.stall_watch).
    "pipelines-stall-watch": {
        "task": "pipelines.stall_watch",
        "schedule": env.float("PIPELINE_STALL_WATCH_EVERY_SECONDS", default=60),
    },
    # Evaluates the alarm rules (monitoring.alarms) and escalates open incidents.
    "monitoring-alarms": {
        "task": "monitoring.alarms",
        "schedule": env.float("ALARMS_EVERY_SECONDS", default=60),
    },
}
