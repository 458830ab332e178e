"""The project's GraphQL endpoint, for every app: the root schema (schema.py), the /graphql
view (http.py: bearer auth, the error shape, media types), the document checks and their
cache (documents.py) and the bounds on one document (query_limits.py). Each app keeps its own
types, queries and mutations (items/graphql/, hello/graphql.py); resolvers check scopes and
roles with accounts.graphql_permissions.

Nothing here is imported at start-up: config.urls names the view by its dotted path, and
GRAPHENE["SCHEMA"] the schema, so a cold start that serves no GraphQL loads no graphene.
"""
