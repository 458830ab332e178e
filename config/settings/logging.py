"""Logs as one JSON object per line on stdout: CloudWatch Logs indexes them as they are."""

import logging
import os

from config.env import env


def _stage_log_level() -> str:
    """LOG_LEVEL if set; on Lambda, the level Zappa already gave the root logger from the
    stage's `log_level` in zappa_settings.json (prod: WARNING), which LOGGING would otherwise
    reset; INFO elsewhere."""
    if os.environ.get("FRAMEWORK") == "Zappa":  # set by Zappa's handler before Django loads
        return logging.getLevelName(logging.getLogger().getEffectiveLevel())
    return "INFO"


LOG_LEVEL = env("LOG_LEVEL", default=None) or _stage_log_level()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # JsonStreamHandler formats with monitoring.logs.JsonFormatter itself. stderr, as logging
    # does by default: a management command's stdout (`dumpdata > file`) stays its own; on
    # Lambda, under systemd and in containers both streams are collected.
    "handlers": {"stderr": {"class": "monitoring.logs.JsonStreamHandler"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        # One line per request, queue message and scheduled run, at every stage's level.
        "monitoring.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # Request failures are logged once, by api.middleware, with the request id.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
