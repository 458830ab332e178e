"""The embedded default: SQLite file, no other service, DEBUG on, secrets generated in var/."""

import os

from config.env import BASE_DIR, local_generated_secret, read_env_file

read_env_file(".env")
os.environ.setdefault("STAGE", "local")
local_generated_secret("SECRET_KEY")
local_generated_secret("JWT_SIGNING_KEY")
# WAL and IMMEDIATE transactions: the web process and the local Celery worker write at once;
# without them SQLite answers "database is locked" instead of waiting its turn.
os.environ.setdefault(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    "?transaction_mode=IMMEDIATE&timeout=20&init_command=PRAGMA+journal_mode%3DWAL",
)
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("CORS_ALLOW_ALL_ORIGINS", "true")

from config.django.base import *

# Serve static files from the apps while developing; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES["staticfiles"] = {"BACKEND": "config.static_files.StageAwareStaticFilesStorage"}
