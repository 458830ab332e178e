"""Who is calling: the user behind a request's `Authorization: Bearer <JWT>` header.

DRF views authenticate through REST_FRAMEWORK's JWTAuthentication; code outside DRF
(the GraphQL view) calls `user_from_bearer` so both accept exactly the same tokens.
"""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken


class InvalidCredentials(Exception):
    """A bearer token was sent but is not acceptable (bad signature, expired, revoked...)."""


def user_from_bearer(request):
    """The authenticated user, None when no bearer token was sent; raises InvalidCredentials."""
    try:
        result = JWTAuthentication().authenticate(request)
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(str(exc.detail if hasattr(exc, "detail") else exc)) from exc
    if result is None:
        return None
    return result[0]
