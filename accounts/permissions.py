"""DRF permissions: scopes carried by the access token, and roles.

    class ItemApi(APIView):
        permission_classes = [HasScopes]
        required_scopes = [ITEMS_WRITE]     # from accounts.scope_names

    permission_classes = [HasScopes.of(ITEMS_READ)]   # same, without the attribute
    permission_classes = [HasRole.of("editor")]

Not authenticated → 401; authenticated without the scope or role → 403 with the JSON error.
"""

from rest_framework.permissions import BasePermission

from accounts.selectors import request_roles, request_scopes


def _is_authenticated(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class HasScopes(BasePermission):
    """Requires every scope in `required_scopes` (class attribute here, or on the view)."""

    required_scopes: tuple[str, ...] = ()

    @classmethod
    def of(cls, *scopes: str) -> type["HasScopes"]:
        return type(f"HasScopes_{'_'.join(scopes)}", (cls,), {"required_scopes": tuple(scopes)})

    def _required(self, view) -> tuple[str, ...]:
        return tuple(self.required_scopes) or tuple(getattr(view, "required_scopes", ()) or ())

    def has_permission(self, request, view) -> bool:
        if not _is_authenticated(request):
            # False without a user makes DRF answer 401 (NotAuthenticated), not 403.
            return False
        missing = sorted(set(self._required(view)) - request_scopes(request))
        if missing:
            self.message = f"Missing scope: {' '.join(missing)}"
            return False
        return True


class HasRole(BasePermission):
    """Requires at least one of `required_roles` (class attribute here, or on the view)."""

    required_roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str) -> type["HasRole"]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"required_roles": tuple(roles)})

    def has_permission(self, request, view) -> bool:
        if not _is_authenticated(request):
            return False
        required = set(self.required_roles or getattr(view, "required_roles", ()) or ())
        if request.user.is_superuser or not required:
            return True
        if required & request_roles(request):
            return True
        self.message = f"Requires role: {' or '.join(sorted(required))}"
        return False
