"""What a client may send for an item: the one place the items input rules live.

REST bodies, GraphQL arguments and the admin's edits all pass through here (through
items.services and items.selectors). The errors raised are the domain's: they say what is
wrong in the item's own terms and name no request parameter; the REST views
(items.apis.rest_error_of) and the GraphQL resolvers word them for their clients.

Storable JSON is checked iteratively (no recursion), so hostile nesting costs a loop, not the
stack. The bounds are settings (config/settings/items.py, env variables of the same name).
"""

import math

from django.conf import settings

from api.errors import ApiError

# Keys the server owns; a client sending them is ignored (mass-assignment safe).
SERVER_FIELDS = frozenset({"itemId", "createdAt", "lastUpdatedAt"})
# Client fields with their own column (GraphQL exposes them as fields).
COLUMN_FIELDS = ("name", "body")


class UnstorableJson(ApiError):
    pass


class InvalidItemField(ApiError):
    """One of the item's own fields (`field`) has a value it cannot hold; `expected` says
    what it can, for a person."""

    def __init__(self, field: str, expected: str):
        super().__init__(f"Invalid input: {field} must be a string")
        self.field = field
        self.expected = expected


class InvalidPageSize(ApiError):
    """A page size outside 1..max_page_size; each API words it with its own parameter."""

    def __init__(self, max_page_size: int):
        self.max_page_size = max_page_size
        super().__init__(f"Page size must be between 1 and {max_page_size}")

    def message_for(self, parameter: str) -> str:
        return f"{parameter} must be between 1 and {self.max_page_size}"

    def expected(self) -> str:
        return f"Must be an integer from 1 to {self.max_page_size}."


def _check_text(text: str, where: str) -> None:
    # jsonb and text columns refuse NUL; lone surrogates cannot be encoded as UTF-8.
    if "\x00" in text:
        raise UnstorableJson(f"{where} contains a NUL character (\\u0000), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnstorableJson(f"{where} contains an unpaired surrogate (invalid Unicode)") from exc


def check_storable_json(value, *, max_depth: int) -> None:
    """Raise UnstorableJson (400) for nesting deeper than max_depth, non-finite numbers,
    NUL characters or invalid Unicode anywhere in `value`."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth > max_depth:
                raise UnstorableJson(f"JSON is nested too deeply (more than {max_depth} levels)")
            if isinstance(current, dict):
                for key, child in current.items():
                    _check_text(key, "A key")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in current)
        elif isinstance(current, str):
            _check_text(current, "A string")
        elif isinstance(current, float) and not math.isfinite(current):
            raise UnstorableJson("Numbers must be finite (no NaN or Infinity)")


def client_fields(fields) -> tuple[dict, dict]:
    """Split a client's object into column values (name, body) and the rest (data),
    dropping the server-owned keys (itemId, createdAt, lastUpdatedAt)."""
    if not isinstance(fields, dict):
        raise ApiError("An item must be a JSON object")
    check_storable_json(fields, max_depth=settings.ITEMS_MAX_JSON_DEPTH)
    columns, data = {}, {}
    for key, value in fields.items():
        if key in SERVER_FIELDS:
            continue
        if key in COLUMN_FIELDS:
            if value is not None and not isinstance(value, str):
                raise InvalidItemField(key, "Must be a string or null.")
            columns[key] = value
        else:
            data[key] = value
    return columns, data


def validate_item_data(data) -> None:
    """The `data` column as the admin may edit it: a storable JSON object of client fields
    (name, body and the server's fields have their own places)."""
    if not isinstance(data, dict):
        raise ApiError("data must be a JSON object")
    check_storable_json(data, max_depth=settings.ITEMS_MAX_JSON_DEPTH)
    reserved = sorted(set(data) & (SERVER_FIELDS | set(COLUMN_FIELDS)))
    if reserved:
        raise ApiError(f"data must not contain {', '.join(reserved)}")


def max_page_size() -> int:
    return settings.ITEMS_MAX_PAGE_SIZE


def page_size(requested: int | None) -> int:
    """The page size to serve: the default when none was asked, else `requested` if allowed."""
    size = settings.ITEMS_DEFAULT_PAGE_SIZE if requested is None else requested
    if not 1 <= size <= max_page_size():
        raise InvalidPageSize(max_page_size())
    return size
