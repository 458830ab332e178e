"""DRF permission: the scopes carried by the access token.

    class ItemApi(APIView):
        permission_classes = [HasScopes]
        required_scopes = [ITEMS_WRITE]     # declared in items/access_rules.py

    permission_classes = [HasScopes.of(ITEMS_READ)]   # same, without the attribute

Not authenticated → 401; authenticated without the scope → 403 with the JSON error.
"""

from rest_framework.permissions import BasePermission

from accounts.selectors import request_scopes


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
