"""The embedded default: SQLite file, no other service, DEBUG on, secrets generated locally.

Everything this mode writes (database, broker folders, beat schedule, secrets, media) lives
in one state directory, LOCAL_STATE_DIR (default var/), so a second checkout-free run (a
test, a demo) can point it elsewhere and leave var/ alone.
"""

import os

from config.env import BASE_DIR, env, local_generated_secret, read_env_file, settle_stage

read_env_file(".env")
STAGE = settle_stage("local")
# Relative paths are taken from the project root, like the default.
LOCAL_STATE_DIR = (BASE_DIR / env("LOCAL_STATE_DIR", default="var")).resolve()
local_generated_secret("SECRET_KEY", state_dir=LOCAL_STATE_DIR)
local_generated_secret("JWT_SIGNING_KEY", state_dir=LOCAL_STATE_DIR)
# WAL and IMMEDIATE transactions: the web process and the local Celery worker write at once;
# without them SQLite answers "database is locked" instead of waiting its turn. The busy
# timeout is long: 30 people signing up at once (Argon2 hashing on a loaded 2-core machine)
# queued writes past 20 s (tests/product/test_newcomer.py).
os.environ.setdefault(
    "DATABASE_URL",
    f"sqlite:///{LOCAL_STATE_DIR / 'db.sqlite3'}"
    "?transaction_mode=IMMEDIATE&timeout=60&init_command=PRAGMA+journal_mode%3DWAL",
)
os.environ.setdefault("CELERY_FILESYSTEM_BROKER_DIR", str(LOCAL_STATE_DIR / "broker"))
os.environ.setdefault("CELERY_BEAT_SCHEDULE_FILENAME", str(LOCAL_STATE_DIR / "celerybeat-schedule"))
os.environ.setdefault("MEDIA_ROOT", str(LOCAL_STATE_DIR / "media"))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("CORS_ALLOW_ALL_ORIGINS", "true")

from config.django.base import *

# Serve static files from the apps while developing; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES["staticfiles"] = {"BACKEND": "config.storages.StageAwareStaticFilesStorage"}
# The book's behaviour: an unknown username is registered by its first login.
SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=True)
