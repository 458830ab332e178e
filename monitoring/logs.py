"""One JSON object per log line, carrying the current request id.

Every request writes one (the access line), so it is kept cheap: orjson, the timestamp's
seconds formatted once per second, a record formatted once however many handlers write it,
and the access line written without a LogRecord where LOGGING's handler is the only one
(docs/monitoring.md, "Cost"; benchmarks/observability_overhead.py).
"""

import json
import logging
import math
import os
import time
from functools import lru_cache
from logging import INFO

import orjson

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
# What orjson declines (below), json writes: the same text, compact, non-ASCII as \u escapes.
_json_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode
# Dates and dataclasses as str() gives them, as json's default=str always wrote them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_line(value) -> str:
    """`value` as one line of compact ASCII JSON: orjson, one C call (json's encoder was ~10 %
    of GET /hello: docs/monitoring.md, "Cost"); json where orjson would write another text
    (non-ASCII, which it leaves unescaped) or refuses (non-str keys, ints past 64 bits)."""
    return json_bytes(value).decode()


def json_bytes(value) -> bytes:
    """`json_line(value)` as the bytes a stream writes, without decoding and encoding again."""
    try:
        line = orjson.dumps(value, default=str, option=_ORJSON_OPTIONS)
    except TypeError:
        return _json_encode(value).encode()
    return line if line.isascii() else _json_encode(value).encode()


@lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


# ".000Z" to ".999Z": the end of a timestamp, looked up rather than formatted.
_MILLISECOND_ENDS = tuple(f".{millis:03d}Z" for millis in range(1000))


def log_timestamp_ns(nanoseconds: int) -> str:
    """`time.time_ns()` in the contract's format, cut to the millisecond: integer arithmetic
    and two lookups, a fifth of what the float version below costs (it is on every access
    line)."""
    seconds, millis = divmod(nanoseconds // 1_000_000, 1000)
    return _utc_second(seconds) + _MILLISECOND_ENDS[millis]


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
        entry = _entry_head(
            log_timestamp(record.created), record.levelname, record.name, record.getMessage()
        )
        if access_line:
            if entry["request_id"] is None:
                entry["request_id"] = last_served_request_id.get()
            entry.update(_access_fields(record))
        # Anything passed as `extra=` is kept as structured fields.
        celery_line = record.name.startswith("celery.")
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                if access_line and key in ("request", "status_code"):
                    continue
                # Celery's task lines carry the task's arguments as `data`: a pipeline
                # message, up to a packet of a user's elements. Its own format never
                # printed them; the message names the task and its id.
                if celery_line and key == "data":
                    continue
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json_line(entry)


def _entry_head(timestamp: str, level: str, logger_name: str, message: str) -> dict:
    """The fields every line starts with, in the contract's order (docs/monitoring.md)."""
    entry = {
        "timestamp": timestamp,
        "level": level,
        "logger": logger_name,
        "message": message,
        "request_id": current_request_id.get(),
    }
    invocation_id = current_invocation_id.get()
    if invocation_id:
        entry["invocation_id"] = invocation_id
    sent_id = client_request_id.get()
    if sent_id:
        entry["client_request_id"] = sent_id
    return entry


class JsonStreamHandler(logging.StreamHandler):
    """LOGGING's handler: a StreamHandler with the JSON formatter, which also writes lines
    `log_info_fields` built without a LogRecord."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self.setFormatter(JsonFormatter())

    def write_line(self, line: bytes) -> None:
        """Write one encoded line (no terminator) and flush it, as `emit` would: Lambda may
        freeze the process right after the response, so nothing waits in a buffer.

        A stream with a file descriptor (stderr, stdout, a file) gets one `os.write`, after
        flushing what others wrote to the stream before: the text layer's encode, write and
        flush cost about twice that."""
        data = line + b"\n"
        stream = self.stream
        with self.lock:
            try:
                try:
                    fd = stream.fileno()  # per line: a closed stream raises, never a stale fd
                except (AttributeError, OSError):  # io.UnsupportedOperation is an OSError
                    stream.write(data.decode())
                    stream.flush()
                    return
                stream.flush()
                while data:  # a pipe may take part of a long line
                    data = data[os.write(fd, data) :]
            except Exception:  # as emit(): a log line never breaks what it describes
                self.handleError(logging.makeLogRecord({"msg": line.decode(errors="replace")}))


def _writes_lines_itself(logger: logging.Logger) -> bool:
    """Whether what `logger` would do with an INFO record is only JsonStreamHandlers writing it
    (no filter, no propagation): then the line can be written without the record."""
    if logger.propagate or logger.filters or not logger.handlers:
        return False
    for handler in logger.handlers:
        if type(handler) is not JsonStreamHandler or handler.filters or handler.level > INFO:
            return False
        if type(handler.formatter) is not JsonFormatter:
            return False
    return True


def info_written_as_json(logger: logging.Logger) -> bool:
    """Whether `log_info_fields(logger, fields, …)` writes one JSON line of `fields` itself
    (LOGGING's handler only, enabled for INFO): then members a caller adds to `fields`, such
    as a metric event's (monitoring.metrics), are in that line, written once."""
    return logger.isEnabledFor(INFO) and _writes_lines_itself(logger)


def log_info_fields(logger: logging.Logger, fields: dict, msg: str, *args) -> None:
    """`logger.info(msg, *args, extra=fields)`: the same line, and where LOGGING's handler is
    the only one, a dict built here, encoded once and written, with no LogRecord, caller
    lookup or handler chain (~20 % of GET /hello: docs/monitoring.md, "Cost"). Any other
    handler (a test's, a formatter of another kind) gets the ordinary record."""
    if info_written_as_json(logger):
        json_info_write(logger, fields, msg % args)
    elif logger.isEnabledFor(INFO):
        logger.info(msg, *args, extra=fields)


def json_info_write(logger: logging.Logger, fields: dict, message: str) -> None:
    """`log_info_fields` once `info_written_as_json(logger)` has said yes."""
    entry = _entry_head(log_timestamp_ns(time.time_ns()), "INFO", logger.name, message)
    entry.update(fields)
    line = json_bytes(entry)
    for handler in logger.handlers:
        handler.write_line(line)
