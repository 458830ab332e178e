"""The items part of the GraphQL API (design §2.3), and the project's /graphql view (http.py)."""
