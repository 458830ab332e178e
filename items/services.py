"""Writing items: the one place REST views, GraphQL mutations and the admin change them."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from api.errors import ApiError, NotFound
from items.client_json import check_storable_json
from items.limits import limit
from items.models import Item
from items.representation import COLUMN_FIELDS, SERVER_FIELDS
from items.selectors import ITEM_NOT_FOUND, item_live_queryset, item_with_id


def _now() -> datetime:
    # Stored at the precision clients see (milliseconds), so what they read is what is kept.
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _client_fields(fields: dict) -> tuple[dict, dict]:
    """Split a client's object into column values (name, body) and the rest (data),
    dropping the server-owned keys (itemId, createdAt, lastUpdatedAt)."""
    if not isinstance(fields, dict):
        raise ApiError("An item must be a JSON object")
    check_storable_json(fields, max_depth=limit("ITEMS_MAX_JSON_DEPTH"))
    columns, data = {}, {}
    for key, value in fields.items():
        if key in SERVER_FIELDS:
            continue
        if key in COLUMN_FIELDS:
            if value is not None and not isinstance(value, str):
                raise ApiError(f"Invalid input: {key} must be a string",
                               fields={key: "Must be a string or null."})
            columns[key] = value
        else:
            data[key] = value
    return columns, data


def validate_item_data(data) -> None:
    """The `data` column as the admin may edit it: a storable JSON object of client fields
    (name, body and the server's fields have their own places)."""
    if not isinstance(data, dict):
        raise ApiError("data must be a JSON object")
    check_storable_json(data, max_depth=limit("ITEMS_MAX_JSON_DEPTH"))
    reserved = sorted(set(data) & (SERVER_FIELDS | set(COLUMN_FIELDS)))
    if reserved:
        raise ApiError(f"data must not contain {', '.join(reserved)}")


def item_create(*, owner, fields: dict) -> Item:
    columns, data = _client_fields(fields)
    now = _now()
    return Item.objects.create(
        owner=owner, data=data, created_at=now, last_updated_at=now, **columns)


@transaction.atomic
def item_update(*, owner, item_id, fields: dict) -> Item:
    """Set the sent fields, keep the others and createdAt; renew lastUpdatedAt."""
    columns, data = _client_fields(fields)
    # Locked so two concurrent partial updates merge instead of losing one another's fields.
    item = item_with_id(item_live_queryset(owner=owner).select_for_update(), item_id)
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    for field, value in columns.items():
        setattr(item, field, value)
    item.data = {**item.data, **data}
    item.last_updated_at = _now()
    item.save(update_fields=[*columns, "data", "last_updated_at"])
    return item


def item_upsert(*, owner, item_id=None, fields: dict) -> Item:
    """GraphQL's updateItem: no id creates, a known id updates, an unknown id is not found."""
    if item_id is None:
        return item_create(owner=owner, fields=fields)
    return item_update(owner=owner, item_id=item_id, fields=fields)


@transaction.atomic
def item_delete(*, owner, item_id) -> Item | None:
    """Soft delete; returns the item as it was, or None when there was nothing to delete."""
    item = item_with_id(item_live_queryset(owner=owner).select_for_update(), item_id)
    if item is None:
        return None
    deleted_at = _now()
    Item.objects.filter(pk=item.pk).update(deleted_at=deleted_at)
    return item


def item_admin_save(*, item: Item) -> Item:
    """Save an item a backoffice user edited (form-validated): a change like any other."""
    item.last_updated_at = _now()
    item.save()
    return item


def item_restore(*, item: Item) -> Item:
    """Bring a soft-deleted item back (the admin's restore action)."""
    Item.objects.filter(pk=item.pk).update(deleted_at=None)
    item.deleted_at = None
    return item
