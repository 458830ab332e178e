"""Writing items: the one place REST views, GraphQL mutations and the admin change them."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from api.errors import NotFound
from items.inputs import client_fields
from items.models import Item
from items.selectors import ITEM_NOT_FOUND, item_live_queryset, item_with_id


def _now() -> datetime:
    # Stored at the precision clients see (milliseconds), so what they read is what is kept.
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def item_create(*, owner, fields: dict) -> Item:
    columns, data = client_fields(fields)
    now = _now()
    return Item.objects.create(
        owner=owner, data=data, created_at=now, last_updated_at=now, **columns
    )


@transaction.atomic
def item_update(*, owner, item_id, fields: dict) -> Item:
    """Set the sent fields, keep the others and createdAt; renew lastUpdatedAt."""
    columns, data = client_fields(fields)
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
