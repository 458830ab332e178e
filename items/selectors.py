"""Reading items. Every read is scoped to its owner: another user's item does not exist."""

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from api.errors import NotFound
from items.cursors import decode_cursor, encode_cursor
from items.inputs import page_size as allowed_page_size
from items.models import Item

ITEM_NOT_FOUND = "Item not found"


def parse_item_id(item_id) -> uuid.UUID | None:
    """The id as a UUID, or None when it cannot be one of ours. Not a format error: the
    client cannot know our id format, so such an id is simply an unknown item
    (docs/contract.md §2.2)."""
    if isinstance(item_id, uuid.UUID):
        return item_id
    try:
        return uuid.UUID(str(item_id))
    except ValueError:
        return None


def item_live_queryset(*, owner) -> QuerySet[Item]:
    return Item.objects.filter(owner=owner, deleted_at__isnull=True)


def item_with_id(queryset: QuerySet[Item], item_id) -> Item | None:
    """The item of `queryset` with this id; None when missing or not an id of ours."""
    parsed = parse_item_id(item_id)
    if parsed is None:
        return None
    return queryset.filter(id=parsed).first()


def item_find(*, owner, item_id) -> Item | None:
    """The owner's live item, or None (missing, deleted, someone else's or an id that is not
    a UUID: all the same)."""
    return item_with_id(item_live_queryset(owner=owner), item_id)


def item_get(*, owner, item_id) -> Item:
    item = item_find(owner=owner, item_id=item_id)
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    return item


@dataclass(frozen=True)
class ItemPage:
    items: list[Item]
    next_cursor: str | None

    @staticmethod
    def cursor_of(item: Item) -> str:
        return encode_cursor(item.created_at, item.id)


def item_page(*, owner, limit: int | None = None, cursor: str | None = None) -> ItemPage:
    """One page of the owner's live items, newest first, in ONE query whatever its size."""
    page_size = allowed_page_size(limit)
    queryset = item_live_queryset(owner=owner).order_by("-created_at", "-id")
    if cursor:
        created_at, item_id = decode_cursor(cursor)
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=item_id)
        )
    # One row more than asked tells whether a next page exists without a COUNT.
    rows = list(queryset[: page_size + 1])
    items = rows[:page_size]
    has_next = len(rows) > page_size
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if has_next else None
    return ItemPage(items=items, next_cursor=next_cursor)
