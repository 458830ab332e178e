"""The book's first GraphQL resolver: hello(name)."""

import graphene


class Query(graphene.ObjectType):
    hello = graphene.String(name=graphene.String(default_value=""))

    def resolve_hello(root, info, name):
        return f"Hello {name} 👋" if name else "Hello 👋"
