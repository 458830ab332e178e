"""Issuing, verifying, rotating and revoking JWTs: the one place tokens come from.

Access tokens carry the user's scopes (`scope`, space-separated as in RFC 9068) and roles,
derived when the token is issued; refresh tokens carry only the user id, so every rotation
reads the user's roles afresh.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.scopes import (
    ROLES_CLAIM,
    SCOPE_CLAIM,
    roles_for_user,
    scope_claim_value,
    scopes_for_user,
)
from api.errors import ApiError


class TokenRejected(ApiError):
    """A token that is not (or no longer) acceptable. The message is safe to show."""

    status_code = 401


def token_pair_for_user(user) -> dict[str, str]:
    """A new refresh token (recorded as outstanding) and its access token."""
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    access[SCOPE_CLAIM] = scope_claim_value(scopes_for_user(user))
    access[ROLES_CLAIM] = roles_for_user(user)
    return {"token": str(access), "refresh": str(refresh)}


def access_token_validate(raw_token: str):
    """The user an access token stands for, checked exactly as a Bearer header is."""
    from accounts.authentication import InvalidCredentials, authenticate_raw_token

    try:
        user, _token = authenticate_raw_token(raw_token)
    except InvalidCredentials as exc:
        raise TokenRejected(str(exc)) from exc
    return user


def _refresh_token_user(refresh: RefreshToken):
    user_id = refresh.get(api_settings.USER_ID_CLAIM)
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not user.is_active:
        raise TokenRejected("Token is invalid or expired")
    return user


def refresh_token_rotate(*, raw_refresh: str) -> dict[str, str]:
    """Spend a refresh token: blacklist it and issue a new pair.

    The blacklist row is unique per token, so of two concurrent refreshes with the same
    token exactly one wins; the other (like any later reuse) is refused.
    """
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    try:
        refresh = RefreshToken(raw_refresh)
    except TokenError as exc:
        raise TokenRejected("Token is invalid or expired") from exc
    user = _refresh_token_user(refresh)
    try:
        with transaction.atomic():
            outstanding = OutstandingToken.objects.get(jti=refresh[api_settings.JTI_CLAIM])
            BlacklistedToken.objects.create(token=outstanding)
            pair = token_pair_for_user(user)
    except (OutstandingToken.DoesNotExist, IntegrityError) as exc:
        raise TokenRejected("Token is invalid or expired") from exc
    return pair


class _RefreshTokenEvenIfRevoked(RefreshToken):
    """A refresh token checked for signature, audience, issuer and expiry, but not the
    blacklist: revoking a revoked token is not an error (a client may retry a logout)."""

    def check_blacklist(self) -> None:
        return None


def refresh_token_revoke(*, raw_refresh: str) -> None:
    try:
        refresh = _RefreshTokenEvenIfRevoked(raw_refresh)
    except TokenError as exc:
        raise TokenRejected("Token is invalid or expired") from exc
    refresh.blacklist()

