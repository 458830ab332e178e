"""How an item looks to clients (output only): the book's REST shape and its timestamps."""

from api.timestamps import iso_utc_ms
from items.inputs import COLUMN_FIELDS
from items.models import Item


def item_rest_representation(item: Item) -> dict:
    """The client's fields at top level, plus itemId, createdAt and lastUpdatedAt."""
    representation = dict(item.data)
    for field in COLUMN_FIELDS:
        value = getattr(item, field)
        if value is not None:
            representation[field] = value
    representation["itemId"] = str(item.id)
    representation["createdAt"] = iso_utc_ms(item.created_at)
    representation["lastUpdatedAt"] = iso_utc_ms(item.last_updated_at)
    return representation
