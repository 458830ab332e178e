"""Scopes for GraphQL resolvers and mutations (graphene).

    @scope_required("items:read")
    def resolve_item(root, info, id): ...

    class UpdateItem(graphene.Mutation):
        @classmethod
        @scope_required("items:write")
        def mutate(cls, root, info, **fields): ...

The user is `info.context.user`; the scopes are the JWT's (`info.context.auth`, kept
by `accounts.authentication.user_from_bearer`), or for a request authenticated another way
(an admin's session in GraphiQL) what the user's roles grant now.

The one permission mechanism of every resolver (items' and any later app's). An anonymous
caller's error carries the code UNAUTHENTICATED, which the /graphql view
(config/graphql/http.py) answers with a 401.
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
