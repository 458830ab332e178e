"""Changing items through GraphQL: the same services as REST."""

import graphene
from graphql import GraphQLError

from accounts.graphql_permissions import scope_required
from accounts.throttles.budgets import RateLimited, user_rate_limit_hit
from items.access_rules import ITEM_WRITES, ITEMS_WRITE
from items.graphql.types import ItemType
from items.services import item_delete, item_upsert

WRITE_SCOPE = ITEMS_WRITE


def item_writer(info):
    """The user (authenticated and holding the write scope: the resolvers' decorator checked)
    within their rate limit (the same per-user budget as REST's item writes)."""
    owner = info.context.user
    try:
        user_rate_limit_hit(user=owner, scope=ITEM_WRITES)
    except RateLimited as exc:
        raise GraphQLError(
            exc.message, extensions={"code": "RATE_LIMITED", "retryAfter": exc.retry_after_seconds}
        ) from exc
    return owner


@scope_required(WRITE_SCOPE)
def resolve_update_item(root, info, id=None, **fields):
    owner = item_writer(info)
    # Only the arguments the client sent are in `fields`, so omitted ones stay unchanged.
    return item_upsert(owner=owner, item_id=id, fields=fields)


@scope_required(WRITE_SCOPE)
def resolve_delete_item(root, info, id):
    owner = item_writer(info)
    return item_delete(owner=owner, item_id=id)


class Mutation(graphene.ObjectType):
    update_item = graphene.Field(
        ItemType,
        id=graphene.String(description="Omit to create an item."),
        name=graphene.String(),
        body=graphene.String(),
        resolver=resolve_update_item,
        description="Upsert: without id creates; an unknown id is an error (Item not found).",
    )
    delete_item = graphene.Field(
        ItemType,
        id=graphene.String(required=True),
        resolver=resolve_delete_item,
        description="Soft delete; returns the item as it was, or null if there was none.",
    )
