"""The root GraphQL schema: each app's Query and Mutation classes combined (Saleor-style)."""

import graphene

from hello.graphql import Query as HelloQuery


class Query(HelloQuery, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query)
