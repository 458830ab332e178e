"""Reading items through GraphQL: the same selectors as REST."""

import graphene
from graphene.relay import PageInfo
from graphql import GraphQLError

from accounts.graphql_permissions import scope_required
from items.access_rules import ITEMS_READ
from items.graphql.types import ItemConnection, ItemType
from items.inputs import InvalidPageSize
from items.selectors import ItemPage, item_find, item_page

READ_SCOPE = ITEMS_READ


@scope_required(READ_SCOPE)
def resolve_item(root, info, id):
    # Missing, deleted and someone else's items are all null, as a nullable lookup should be.
    return item_find(owner=info.context.user, item_id=id)


@scope_required(READ_SCOPE)
def resolve_items(root, info, first=None, after=None):
    try:
        page = item_page(owner=info.context.user, limit=first, cursor=after or None)
    except InvalidPageSize as exc:
        raise GraphQLError(exc.message_for("first")) from exc
    edges = [ItemConnection.Edge(node=item, cursor=ItemPage.cursor_of(item)) for item in page.items]
    return ItemConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.next_cursor is not None,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


class Query(graphene.ObjectType):
    item = graphene.Field(ItemType, id=graphene.String(required=True), resolver=resolve_item)
    items = graphene.Field(
        ItemConnection,
        first=graphene.Int(description="Page size, 1 to 100 (default 20)."),
        after=graphene.String(description="endCursor of the previous page."),
        resolver=resolve_items,
    )
