"""Settings shared by every environment. Values come from the environment via django-environ."""

from importlib.util import find_spec
from pathlib import Path

from config.env import BASE_DIR, env

# STAGE is set by the environment module importing this one (config.env.settle_stage).

SECRET_KEY = env("SECRET_KEY")
# Rotation: the previous key(s), comma-separated, still verify sessions and signed values.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # django.contrib.admin, discovered on first use (see there)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets for /docs, as static files (no CDN)
    # graphene_django is deliberately not an installed app: importing it loads graphene,
    # graphql-core and django.contrib.postgres (~250 ms of every cold start). Its GraphiQL
    # template and static files are found by path below; the schema loads on first use.
    # The project's apps: the HTTP contract, then one app per system of the book.
    "api",
    "accounts",
    "hello",
    "items",
    "pipelines",
    "browser",
    "monitoring",
    # The project's wiring: the stage checks (`check --deploy`, `manage.py stage_check`).
    "config.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they carry X-Request-Id too.
    "monitoring.request_context.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "monitoring.access.AccessLogMiddleware",
    "api.middleware.JsonErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# graphene_django is not an installed app (see INSTALLED_APPS): its GraphiQL template and
# static files are found by path; find_spec locates the package without executing it.
GRAPHENE_DJANGO_DIR = Path(find_spec("graphene_django").submodule_search_locations[0])

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [
            BASE_DIR / "templates",
            GRAPHENE_DJANGO_DIR / "templates",
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
# Warm Lambda containers and workers reuse their connection; health checks drop a dead one
# (RDS failover, idle timeout) before a request uses it instead of failing that request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def postgres_session_timeouts(database: dict, *, idle_in_transaction_ms: int, lock_ms: int):
    """Bound what one session can hold (issue #20 item 5): a transaction left idle (its
    process paused by SIGSTOP or a frozen VM, or waiting on anything but the database) is
    ended by the server after `idle_in_transaction_ms`, releasing its row locks, and a
    statement waits at most `lock_ms` for a lock (it fails and its step is retried) instead of
    blocking until the task's hard time limit. 0 leaves a limit off. Steps are milliseconds of
    database work, so neither limit touches a healthy one (docs/pipelines.md "Paused
    workers"). PostgreSQL only; set per connection through libpq's startup options."""
    if not database["ENGINE"].endswith("postgresql"):
        return
    options = [
        f"-c idle_in_transaction_session_timeout={idle_in_transaction_ms}",
        f"-c lock_timeout={lock_ms}",
    ]
    existing = database.setdefault("OPTIONS", {}).get("options", "")
    database["OPTIONS"]["options"] = " ".join([existing, *options]).strip()


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Absolute on purpose: config.storages adds the stage prefix (/dev) per request.
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [GRAPHENE_DJANGO_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storages.StageAwareCompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"

# Requests bodies past this are refused with 413 (API Gateway's own cap is 10 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# Every API path answers with and without a trailing slash itself; only the admin redirects.
APPEND_SLASH = True

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

from config.settings.aws import *
from config.settings.browser import *
from config.settings.celery import *
from config.settings.cors import *
from config.settings.graphql import *
from config.settings.items import *
from config.settings.jwt import *
from config.settings.logging import *
from config.settings.monitoring import *
from config.settings.pipelines import *
from config.settings.rest_framework import *
