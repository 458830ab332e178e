"""Who is asking, for item resolvers. The /graphql view authenticates the bearer token once
(accounts.authentication.user_from_bearer) and leaves the user as request.user."""

from graphql import GraphQLError

from accounts.scopes import request_scopes

READ_SCOPE = "items:read"
WRITE_SCOPE = "items:write"

UNAUTHENTICATED = "UNAUTHENTICATED"


class AuthenticationRequired(GraphQLError):
    def __init__(self):
        super().__init__("Authentication required: send Authorization: Bearer <token>",
                         extensions={"code": UNAUTHENTICATED})


def request_owner(info, *, scope: str):
    """The authenticated user whose items a resolver may touch.

    Every item resolver calls this exactly once with the scope it needs, so authentication
    and the scope check (the same rule as REST's HasScopes) live in one place.
    """
    user = getattr(info.context, "user", None)
    if user is None or not user.is_authenticated:
        raise AuthenticationRequired()  # the view turns this into a 401
    if scope not in request_scopes(info.context):
        raise GraphQLError(f"Missing scope: {scope}", extensions={"code": "FORBIDDEN"})
    return user
