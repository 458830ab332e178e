"""Scopes for GraphQL resolvers and mutations: `@scope_required("items:read")` on a resolver or a
`mutate` classmethod, the one permission check of every resolver (docs/auth.md, "Using
authentication in other apps"). The scopes are the JWT's, or for a session (an admin in
GraphiQL) what the user's roles grant now; an anonymous caller's error carries the code
UNAUTHENTICATED, which the /graphql view answers with a 401.
"""

import functools

from graphql import GraphQLError, GraphQLResolveInfo

from accounts.selectors import request_scopes

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
AUTHENTICATION_REQUIRED = "Authentication required: send Authorization: Bearer <token>"


def _info_from(args) -> GraphQLResolveInfo:
    for arg in args:
        if isinstance(arg, GraphQLResolveInfo):
            return arg
    raise TypeError("scope_required decorates a resolver taking `info`")


def _authenticated_request(info: GraphQLResolveInfo):
    request = info.context
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise GraphQLError(AUTHENTICATION_REQUIRED, extensions={"code": UNAUTHENTICATED})
    return request


def scope_required(*scopes: str):
    """The resolver runs only when the request holds every one of `scopes`."""

    def decorate(resolver):
        @functools.wraps(resolver)
        def wrapper(*args, **kwargs):
            request = _authenticated_request(_info_from(args))
            missing = sorted(set(scopes) - request_scopes(request))
            if missing:
                raise GraphQLError(
                    f"Missing scope: {' '.join(missing)}", extensions={"code": FORBIDDEN}
                )
            return resolver(*args, **kwargs)

        return wrapper

    return decorate
