"""The root GraphQL schema: each app's Query and Mutation classes combined (Saleor-style).

Imported only when the first GraphQL request arrives (GRAPHENE["SCHEMA"] is a dotted path).
"""

import graphene

from hello.graphql import Query as HelloQuery
from items.graphql.mutations import Mutation as ItemsMutation
from items.graphql.queries import Query as ItemsQuery


class Query(ItemsQuery, HelloQuery, graphene.ObjectType):
    pass


class Mutation(ItemsMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
