"""Every AWS stage (dev, staging, prod, previews): Lambda behind API Gateway, RDS, SQS, S3.

Order matters: `.env.<stage>` (non-secret stage settings shipped in the package), then the
stage's secret from AWS Secrets Manager, then the shared settings that read them.
"""

import os

from config.cold_start_gc import collect_rarely_until_first_response

collect_rarely_until_first_response()  # before the imports below: most of a cold start

from config.env import read_env_file, settle_stage
from config.secrets import load_stage_secrets

STAGE = settle_stage(os.environ.get("APP_STAGE") or "dev")
read_env_file(f".env.{STAGE}")
load_stage_secrets(STAGE)

from config.django.base import *

DEBUG = False
# API Gateway and CloudFront terminate TLS; Lambda sees plain HTTP with the forwarded proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The book's sign-up on first login only where anyone may create accounts (docs/auth.md): on a
# shared stage it would let anyone probe usernames.
SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=STAGE == "dev")
# GraphiQL and introspection are developer tools: off in prod unless turned on.
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=STAGE != "prod")
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=STAGE != "prod")
# Browser clients from any origin on dev and previews (the book's dev setup; the API takes bearer
# tokens, never cookies, so no credentials ride along); staging and prod list theirs.
CORS_ALLOW_ALL_ORIGINS = env.bool(
    "CORS_ALLOW_ALL_ORIGINS", default=STAGE not in ("staging", "prod")
)
# On Lambda, pipeline messages travel on SQS and SQS events invoke the consumers; the queue
# URLs come from the stage's infrastructure (check --deploy fails while they are missing).
PIPELINE_TRANSPORT = env("PIPELINE_TRANSPORT", default="sqs")
# Warm containers keep their RDS connection between invocations (health-checked, see base).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
# Django's PostgreSQL backend plus one retry after re-reading the RDS-managed secret when the
# database refuses a rotated password (config/db_backend).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.db_backend"
# Metrics as CloudWatch Embedded Metric Format lines: no agent, no API call per request.
METRICS_SINKS = env.list("METRICS_SINKS", default=["emf"])
# ...which the pulse dashboard reads back from CloudWatch (no rows in the database there).
PULSE_SOURCE = env("PULSE_SOURCE", default="cloudwatch")
# A stage runs no browser unless it is the browser's own function (dev_browser sets "lambda"):
# browser paths answer 503 elsewhere.
CHROMIUM_BUILD = env("CHROMIUM_BUILD", default="none")
# The package ships only the hashed copies WhiteNoise serves (templates link those): the
# unhashed originals would double staticfiles/ in a package with a 50 MB upload limit.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Captures go to the stage's bucket (Lambda's own disk is gone with the container).
if MEDIA_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**S3_MEDIA_OPTIONS, "bucket_name": MEDIA_BUCKET},
    }
# SnapStart (staging, prod): close connections before the snapshot, reseed after a restore.
from config.snapstart import register_hooks

register_hooks()
