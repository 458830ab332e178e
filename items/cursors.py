"""Opaque page cursors for /items and the GraphQL `items` connection.

A cursor names the last item of a page by (created_at, id), the page order, so a page
stays correct when items are added or deleted between requests (no offsets).
"""

import base64
import binascii
import uuid
from datetime import UTC, datetime

from api.errors import ApiError

CURSOR_SEPARATOR = "|"


class InvalidCursor(ApiError):
    """A page cursor this API did not hand out; each API names its own parameter."""

    expected = "Not a cursor this API returned."

    def __init__(self):
        super().__init__("Invalid cursor")


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}{CURSOR_SEPARATOR}{item_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        created_at_text, item_id_text = raw.split(CURSOR_SEPARATOR)
        created_at = datetime.fromisoformat(created_at_text)
        item_id = uuid.UUID(item_id_text)
        if created_at.tzinfo is None:
            raise ValueError("a cursor's time has an offset")
        # In UTC, as stored: a time whose UTC form leaves datetime's years 1-9999
        # ("9999-12-31T23:00-05:00") is no cursor of ours, and SQLite's adapter would raise
        # OverflowError converting it (a 500) while PostgreSQL took it silently.
        created_at = created_at.astimezone(UTC)
    except (ValueError, OverflowError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor() from exc
    return created_at, item_id
