"""The items part of the GraphQL API (docs/contract.md §2.3): types, queries and mutations, combined
with the other apps' in config/graphql/schema.py."""
