"""Issuing, verifying, rotating and revoking JWTs: the one place tokens come from.

Access tokens carry the user's scopes (`scope`, space-separated as in RFC 9068) and roles,
derived when the token is issued; refresh tokens carry only the user id and the user's token
generation, so every rotation reads the user's roles afresh. Both carry the generation
(claim `gen`): a password change raises the user's, and every older token is refused
(accounts.token_revocation). Tokens are signed with JWT_SIGNING_KEY and verified with it or
an old key being rotated out (accounts.jwt_keys).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.jwt_claims import (
    ROLES_CLAIM,
    SCOPE_CLAIM,
    TOKEN_GENERATION_CLAIM,
    InvalidClaim,
    token_generation_from_claims,
    user_id_from_claim,
)
from accounts.jwt_keys import project_token_backend
from accounts.selectors import roles_for_user, scope_claim_value, scopes_for_user
from api.errors import ApiError

TOKEN_REJECTED_MESSAGE = "Token is invalid or expired"  # noqa: S105 - a message


class _ProjectToken:
    """What the project's token classes add to simplejwt's: verification with the fallback
    keys, and an `exp` past what a datetime holds refused as invalid (simplejwt 5.5.1 lets
    its OverflowError escape: a 500 for a signed token with `exp: 1e300`)."""

    @property
    def token_backend(self):
        return project_token_backend()

    def check_exp(self, claim: str = "exp", current_time=None) -> None:
        try:
            super().check_exp(claim, current_time)
        except (OverflowError, ValueError, TypeError) as exc:
            raise TokenError(f"Token '{claim}' claim is not a valid time") from exc


class ProjectAccessToken(_ProjectToken, AccessToken):
    """simplejwt's access token, verified with the current key or an old one being rotated
    out (`SIMPLE_JWT["AUTH_TOKEN_CLASSES"]` names this class)."""


class ProjectRefreshToken(_ProjectToken, RefreshToken):
    """simplejwt's refresh token (blacklist included), verified like ProjectAccessToken."""

    access_token_class = ProjectAccessToken


class TokenRejected(ApiError):
    """A token that is not (or no longer) acceptable. The message is safe to show."""

    status_code = 401


def token_pair_for_user(user) -> dict[str, str]:
    """A new refresh token (recorded as outstanding) and its access token.

    Built like simplejwt's `RefreshToken.for_user`, with the token generation added before
    the outstanding record stores the token.
    """
    refresh = ProjectRefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(getattr(user, api_settings.USER_ID_FIELD))
    refresh[TOKEN_GENERATION_CLAIM] = user.token_generation
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    access = refresh.access_token
    access[SCOPE_CLAIM] = scope_claim_value(scopes_for_user(user))
    access[ROLES_CLAIM] = roles_for_user(user)
    return {"token": str(access), "refresh": str(refresh)}


def _read_refresh_token(raw_refresh: str, token_class=ProjectRefreshToken):
    """The refresh token, signature, claims and claim types checked; raises TokenRejected."""
    try:
        refresh = token_class(raw_refresh)
        user_id_from_claim(refresh.get(api_settings.USER_ID_CLAIM))
        token_generation_from_claims(refresh)
    except (TokenError, InvalidClaim, KeyError) as exc:
        # KeyError: simplejwt 5.5.1 reads `jti` for the blacklist check before it verifies
        # that the claim is there.
        raise TokenRejected(TOKEN_REJECTED_MESSAGE) from exc
    return refresh


def _refresh_token_user(refresh: RefreshToken):
    user_id = user_id_from_claim(refresh.get(api_settings.USER_ID_CLAIM))
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not user.is_active:
        raise TokenRejected(TOKEN_REJECTED_MESSAGE)
    if token_generation_from_claims(refresh) != user.token_generation:
        raise TokenRejected("Token is invalid or expired: the password has changed since")
    return user


def refresh_token_rotate(*, raw_refresh: str) -> dict[str, str]:
    """Spend a refresh token: blacklist it and issue a new pair.

    The blacklist row is unique per token, so of two concurrent refreshes with the same
    token exactly one wins; the other (like any later reuse) is refused.
    """
    refresh = _read_refresh_token(raw_refresh)
    user = _refresh_token_user(refresh)
    try:
        with transaction.atomic():
            outstanding = OutstandingToken.objects.get(jti=refresh[api_settings.JTI_CLAIM])
            BlacklistedToken.objects.create(token=outstanding)
            pair = token_pair_for_user(user)
    except (OutstandingToken.DoesNotExist, IntegrityError) as exc:
        raise TokenRejected(TOKEN_REJECTED_MESSAGE) from exc
    return pair


class _RefreshTokenEvenIfRevoked(ProjectRefreshToken):
    """A refresh token checked for signature, audience, issuer and expiry, but not the
    blacklist: revoking a revoked token is not an error (a client may retry a logout)."""

    def check_blacklist(self) -> None:
        return None


def refresh_token_revoke(*, raw_refresh: str) -> None:
    refresh = _read_refresh_token(raw_refresh, token_class=_RefreshTokenEvenIfRevoked)
    refresh.blacklist()
