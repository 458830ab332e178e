"""Who is calling: the user behind a request's `Authorization: Bearer <JWT>` header.

DRF views authenticate through ProjectJWTAuthentication; code outside DRF (the GraphQL
view) calls `user_from_bearer`, which runs the same class, so both accept exactly the same
tokens: signature (HS256 only, so `alg: none` and algorithm swaps fail), audience, issuer,
expiry, token type `access`, a user id of the type we mint (accounts.jwt_claims), and a user
that exists, is active and has not changed their password since the token was minted (the
token's `gen` claim equals the user's `token_generation`), at the time of the request.

Where the validated token is kept: `request.auth`, DRF's place for it (DRF also sets it on
the Django request underneath); `user_from_bearer` sets it on the Django request it checked.
accounts.selectors reads the scopes and roles from there.
"""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.jwt_claims import InvalidClaim, token_generation_from_claims, user_id_from_claim
from accounts.tokens import TokenRejected

# simplejwt's own message for a token without a usable user id.
NO_USER_ID_MESSAGE = "Token contained no recognizable user identification"


class InvalidCredentials(Exception):
    """A bearer token was sent but is not acceptable (bad signature, expired, revoked...)."""


def _message(exc) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        detail = detail.get("detail", detail)
    return str(detail if detail is not None else exc)


class ProjectJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication (token checks, user lookup, active check), plus what the
    project's tokens add: the user id read strictly, and the password-change generation.

    A signed token whose user id is not what we mint gets a 401 where simplejwt 5.5.1 hands
    it to the ORM (a 500 for "abc", another user for `True` or 2.5).
    """

    def get_user(self, validated_token):
        try:
            user_id_from_claim(validated_token[api_settings.USER_ID_CLAIM])
            generation = token_generation_from_claims(validated_token)
        except (KeyError, InvalidClaim) as exc:
            raise InvalidToken(NO_USER_ID_MESSAGE) from exc
        user = super().get_user(validated_token)
        if generation != user.token_generation:
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user


def authenticate_raw_token(raw_token: str | bytes):
    """(user, validated token) for a raw access token; raises InvalidCredentials."""
    authentication = ProjectJWTAuthentication()
    if isinstance(raw_token, str):
        raw_token = raw_token.encode()
    try:
        token = authentication.get_validated_token(raw_token)
        return authentication.get_user(token), token
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(_message(exc)) from exc


def access_token_validate(raw_token: str):
    """The user an access token stands for, checked exactly as a Bearer header is."""
    try:
        user, _token = authenticate_raw_token(raw_token)
    except InvalidCredentials as exc:
        raise TokenRejected(str(exc)) from exc
    return user


def user_from_bearer(request):
    """The authenticated user, None when no bearer token was sent; raises InvalidCredentials.

    On success the token is kept on the request as `request.auth`, where DRF keeps it.
    """
    try:
        result = ProjectJWTAuthentication().authenticate(request)
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(_message(exc)) from exc
    if result is None:
        return None
    user, request.auth = result
    return user
