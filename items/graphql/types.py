"""GraphQL types of an item, as docs/contract.md §2.3 spells them."""

import graphene

from api.timestamps import iso_utc_ms


class ItemType(graphene.ObjectType):
    """REST's name/body are fields; every other REST field is in `data`;
    updatedAt is REST's lastUpdatedAt."""

    class Meta:
        name = "Item"

    id = graphene.String()
    name = graphene.String()
    body = graphene.String()
    data = graphene.JSONString()
    created_at = graphene.String()
    updated_at = graphene.String()

    @staticmethod
    def resolve_id(item, info):
        return str(item.id)

    @staticmethod
    def resolve_data(item, info):
        return item.data

    @staticmethod
    def resolve_created_at(item, info):
        return iso_utc_ms(item.created_at)

    @staticmethod
    def resolve_updated_at(item, info):
        return iso_utc_ms(item.last_updated_at)


class ItemConnection(graphene.relay.Connection):
    class Meta:
        node = ItemType
