"""GraphQL (graphene-django): one root schema combining each app's queries and mutations."""

from config.env import env

GRAPHENE = {
    "SCHEMA": "config.graphql_schema.schema",
}
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=True)
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=True)
