"""The workers mode (README "Workers mode"): gunicorn, PostgreSQL, Celery workers and beat on
servers you run, instead of or next to Lambda. The web, worker and beat processes all use it.

Order as on AWS: `.env.<stage>` (non-secret settings, if the host has one), then the secrets
(from the environment; SECRETS_SOURCE=aws reads the stage's Secrets Manager secret, for
servers next to a Lambda stage), then the shared settings. Nothing required has a default: a
missing value stops start-up with one line naming it.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import read_env_file, settle_stage
from config.secrets import load_stage_secrets

STAGE = settle_stage("prod")
read_env_file(f".env.{STAGE}")
os.environ.setdefault("SECRETS_SOURCE", "env")
load_stage_secrets(STAGE)  # SECRET_KEY, JWT_SIGNING_KEY, DATABASE_URL, or a clear error


def _required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required in the workers mode: {why}")
    return value


if not _required("DATABASE_URL", "postgres://user:password@host:5432/db").startswith(
    ("postgres://", "postgresql://", "pgsql://", "psql://")
):
    # Several web and worker processes write at once, and the pipelines' reduce step locks
    # rows with SKIP LOCKED: the embedded SQLite file is the local mode's database.
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL in the workers mode")
if _required(
    "CELERY_BROKER_URL", "redis://host:6379/0, amqp://user:password@host:5672/vhost or sqs://"
).startswith(("memory", "filesystem")):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be a broker every process reaches (redis://, amqp://, sqs://) "
        "in the workers mode; filesystem:// is the local mode's"
    )
_required("ALLOWED_HOSTS", "the host names clients use, comma-separated (api.example.com)")

from config.django.base import *

DEBUG = False
# Pipeline messages travel as Celery tasks on the broker (Lambda stages use SQS events).
PIPELINE_TRANSPORT = env("PIPELINE_TRANSPORT", default="celery")
# Where beat sends (Celery's default queue); its own name lets two deployments share a broker.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A worker consumes every queue listed here (scripts/worker: WORKER_QUEUES to pick some): the
# default queue and the pipelines' step queues, when PIPELINE_CELERY_*_QUEUE names them.
CELERY_TASK_QUEUES = {
    name: {}
    for name in dict.fromkeys([CELERY_TASK_DEFAULT_QUEUE, *PIPELINE_CELERY_QUEUES.values()])
    if name
}

# collectstatic (scripts/web) writes hashed, pre-compressed files here; WhiteNoise serves them.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(STATIC_ROOT))

# Production is HTTPS behind a TLS-terminating proxy. gunicorn marks a request https only when
# a proxy it trusts (FORWARDED_ALLOW_IPS) says so, hence no SECURE_PROXY_SSL_HEADER here.
# HTTPS_ONLY=false serves plain HTTP (a private network, the tests, the benchmark).
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
# Load balancers probe /health over plain HTTP and do not follow redirects.
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365 if HTTPS_ONLY else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS_ONLY)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# As on AWS: sign-up on first login only on a dev stage, GraphiQL and introspection off in prod.
SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=STAGE == "dev")
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=STAGE != "prod")
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=STAGE != "prod")

# Long-lived processes keep their connection (health-checked before use, see base).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
postgres_session_timeouts(
    DATABASES["default"],
    idle_in_transaction_ms=env.int("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=30_000),
    lock_ms=env.int("DATABASE_LOCK_TIMEOUT_MS", default=10_000),
)

# Celery's processes log like the web: one JSON object per line (config/settings/logging.py),
# instead of Celery replacing the root logger's handlers with its own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
