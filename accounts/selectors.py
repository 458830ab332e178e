"""Accounts' reads: which roles and scopes a user holds now, and which a request acts with."""

from collections.abc import Iterable

from accounts.jwt_claims import SCOPE_CLAIM
from accounts.models import Scope
from accounts.registry import known_scopes


def scopes_for_user(user) -> frozenset[str]:
    """What a user's roles grant now; superusers get every scope that exists."""
    if user is None or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(known_scopes()) | frozenset(Scope.objects.values_list("name", flat=True))
    return frozenset(
        Scope.objects.filter(roles__user=user).values_list("name", flat=True).distinct()
    )


def roles_for_user(user) -> list[str]:
    if user is None:
        return []
    return sorted(user.groups.values_list("name", flat=True))


def scope_claim_value(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))


def token_scopes(token) -> frozenset[str]:
    """The scopes a validated token carries (tokens without the claim carry none)."""
    value = token.get(SCOPE_CLAIM, "") if token is not None else ""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(value.split())


def _request_token(request):
    """The access token the request was authenticated with (`request.auth`, set by DRF or
    accounts.authentication.user_from_bearer), or None."""
    token = getattr(request, "auth", None)
    return token if hasattr(token, "payload") else None


def _request_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def request_scopes(request) -> frozenset[str]:
    """The scopes a request may use.

    A request authenticated by a JWT has exactly its token's scopes. A request authenticated
    otherwise (an admin's session in GraphiQL) has what the user's roles grant now.
    """
    token = _request_token(request)
    if token is not None:
        return token_scopes(token)
    user = _request_user(request)
    return scopes_for_user(user) if user is not None else frozenset()
