"""GraphQL (graphene-django): one root schema combining each app's queries and mutations.

GraphiQL and introspection are developer tools: on by default; config/django/aws.py and
workers.py turn them off in `prod`.
"""

from config.env import env

GRAPHENE = {
    # A dotted path, resolved on the first GraphQL request (not at start-up).
    "SCHEMA": "config.graphql.schema.schema",
}
# Mutations need no ATOMIC_MUTATIONS: the /graphql view (config/graphql/http.py) runs each
# mutation document in a transaction and rolls it back on any error.
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=True)
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=True)

# Bounds on one document (config/graphql/query_limits.py); list sizes are bounded by the
# resolvers (ITEMS_MAX_PAGE_SIZE).
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=2000)
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=8)
GRAPHQL_MAX_FIELDS = env.int("GRAPHQL_MAX_FIELDS", default=200)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=20)
GRAPHQL_MAX_FRAGMENTS = env.int("GRAPHQL_MAX_FRAGMENTS", default=30)
