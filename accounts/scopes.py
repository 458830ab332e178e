"""Scope names, and which scopes a user, a token or a request holds (selectors)."""

from collections.abc import Iterable

ITEMS_READ = "items:read"
ITEMS_WRITE = "items:write"
PIPELINES_RUN = "pipelines:run"
BROWSER_USE = "browser:use"

# The scopes the code knows about. Superusers hold all of them even on an empty database.
KNOWN_SCOPES: tuple[str, ...] = (ITEMS_READ, ITEMS_WRITE, PIPELINES_RUN, BROWSER_USE)

# The access token's claim, as RFC 9068 (JWT access tokens) spells it: one space-separated string.
SCOPE_CLAIM = "scope"
ROLES_CLAIM = "roles"


def scopes_for_user(user) -> frozenset[str]:
    """What a user's roles grant now; superusers get every scope that exists."""
    from accounts.models import Scope

    if user is None or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(KNOWN_SCOPES) | frozenset(Scope.objects.values_list("name", flat=True))
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


def request_scopes(request) -> frozenset[str]:
    """The scopes a request may use.

    A request authenticated by a JWT has exactly its token's scopes (`request.jwt_scopes`,
    set by `accounts.authentication`; for DRF also `request.auth`). A request authenticated
    otherwise (an admin's session in GraphiQL) has what the user's roles grant now.
    """
    scopes = getattr(request, "jwt_scopes", None)
    if scopes is not None:
        return scopes
    auth = getattr(request, "auth", None)
    if auth is not None and hasattr(auth, "payload"):
        return token_scopes(auth)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return scopes_for_user(user)
    return frozenset()


def request_roles(request) -> frozenset[str]:
    """The roles a request acts with: the token's `roles` claim, or the user's roles now."""
    token = getattr(request, "jwt_token", None) or getattr(request, "auth", None)
    if token is not None and hasattr(token, "payload"):
        roles = token.get(ROLES_CLAIM, [])
        return frozenset(role for role in roles if isinstance(role, str)) if isinstance(
            roles, list) else frozenset()
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return frozenset(roles_for_user(user))
    return frozenset()
