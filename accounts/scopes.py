"""Transitional: the GraphQL modules (items/graphql/auth.py, accounts/graphql_permissions.py)
still import the request helpers from here while they are being moved (issue 11, item 2).
Delete this module once they import accounts.selectors; nothing else uses it."""

from accounts.selectors import request_roles, request_scopes

__all__ = ["request_roles", "request_scopes"]
