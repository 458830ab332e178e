"""Logs as one JSON object per line on stdout: CloudWatch Logs indexes them as they are."""

from config.env import env

LOG_LEVEL = env("LOG_LEVEL", default="INFO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "monitoring.logs.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # Request failures are logged once, by api.middleware, with the request id.
        "django.request": {"handlers": ["stdout"], "level": "ERROR", "propagate": False},
    },
}
