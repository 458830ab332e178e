"""One JSON object per log line, carrying the current request id."""

import json
import logging
from datetime import UTC, datetime

from api.timestamps import iso_utc_ms
from monitoring.request_context import (
    client_request_id,
    current_invocation_id,
    current_request_id,
    last_served_request_id,
)

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


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
        access_line = record.name == "django.server"
        request_id = current_request_id.get()
        if request_id is None and access_line:
            request_id = last_served_request_id.get()
        entry = {
            "timestamp": iso_utc_ms(datetime.fromtimestamp(record.created, UTC)),
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
        return json.dumps(entry, default=str)
