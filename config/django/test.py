"""Settings for the test suite: Postgres when DATABASE_URL points there (CI), else SQLite.

scripts/test picks the database; nothing here reaches a network at import time.
"""

import os

from config.env import settle_stage

STAGE = settle_stage("test")
# Test-only keys, created per process: nothing secret lives in the repo.
os.environ.setdefault("SECRET_KEY", os.urandom(32).hex())
os.environ.setdefault("JWT_SIGNING_KEY", os.urandom(32).hex())
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("CORS_ALLOW_ALL_ORIGINS", "true")

from config.django.base import *
from config.settings.celery import broker_transport_options

DEBUG = False
# Hashing is deliberately slow; tests that are not about hashing should not pay for it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
# Every test session runs collectstatic into a temporary STATIC_ROOT (tests/conftest.py,
# collected_static): hashed names as on AWS, without the gzip copies that only slow it down.
STORAGES["staticfiles"] = {"BACKEND": "config.storages.StageAwareManifestStaticFilesStorage"}
# Metrics are written only where a test turns them on: a per-minute flush must not touch the
# database from a test that has no access to it.
METRICS_SINKS = env.list("METRICS_SINKS", default=[])
# kombu's in-process memory broker: a test that queues a task without choosing a broker must
# not write into a developer's var/broker/.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
# The book's behaviour, as locally: an unknown username is registered by its first login.
SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=True)

# Off by default: a test's own transaction (pytest-django wraps each test in one) may sit idle
# while the test waits on a worker. Worker processes a test starts turn them on through these
# variables (tests/pipelines/test_paused_worker.py).
postgres_session_timeouts(
    DATABASES["default"],
    idle_in_transaction_ms=env.int("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=0),
    lock_ms=env.int("DATABASE_LOCK_TIMEOUT_MS", default=0),
)
