"""One JSON object per log line, carrying the current request id.

Every request writes one (the access line), so the formatting is kept cheap: one reused
encoder (json.dumps with `default=` builds a new one per call), the timestamp's seconds
formatted once per second, and a record formatted once even when two handlers write it
(benchmarks/observability_overhead.py; README, "Benchmarks").
"""

import json
import logging
import math
import time
from functools import lru_cache

from monitoring.request_context import (
    client_request_id,
    current_invocation_id,
    current_request_id,
    last_served_request_id,
)

# What a JSON line never shows, logging need not look up for every record: the thread,
# process and asyncio task names (the logging HOWTO's "Optimization" flags; about 3 µs a
# record). The process id, which a line could use, stays.
logging.logThreads = False
logging.logMultiprocessing = False
logging.logAsyncioTasks = False

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)
# Where a formatted line is kept on its record (underscored: never logged as a field).
_FORMATTED_LINE = "_json_line"
_encode = json.JSONEncoder(default=str).encode


@lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def log_timestamp(created: float) -> str:
    """`record.created` in the contract's format (api.timestamps: ISO 8601 UTC, ms, `Z`)."""
    # Rounded to the microsecond as datetime.fromtimestamp rounds, then cut to milliseconds.
    fraction, whole = math.modf(created)
    seconds, micros = int(whole), round(fraction * 1_000_000)
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    return f"{_utc_second(seconds)}.{micros // 1000:03d}Z"


def _access_fields(record: logging.LogRecord) -> dict:
    """Method, path and status of the development server's access line.

    Django's `django.server` records carry the socket as `request` and the request line as
    their first argument (`"GET /hello HTTP/1.1" 200 5`); the socket means nothing in a log.
    """
    fields = {}
    args = record.args if isinstance(record.args, tuple) else ()
    if args and isinstance(args[0], str):
        parts = args[0].split()
        if len(parts) >= 2:
            fields["method"], fields["path"] = parts[0], parts[1]
    status = getattr(record, "status_code", None)
    if status is not None:
        fields["status"] = status
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = record.__dict__.get(_FORMATTED_LINE)
        if line is None:
            line = record.__dict__[_FORMATTED_LINE] = self._line(record)
        return line

    def _line(self, record: logging.LogRecord) -> str:
        access_line = record.name == "django.server"
        request_id = current_request_id.get()
        if request_id is None and access_line:
            request_id = last_served_request_id.get()
        entry = {
            "timestamp": log_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
        }
        invocation_id = current_invocation_id.get()
        if invocation_id:
            entry["invocation_id"] = invocation_id
        sent_id = client_request_id.get()
        if sent_id:
            entry["client_request_id"] = sent_id
        if access_line:
            entry.update(_access_fields(record))
        # Anything passed as `extra=` is kept as structured fields.
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                if access_line and key in ("request", "status_code"):
                    continue
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)
