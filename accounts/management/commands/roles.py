"""`manage.py roles grant|revoke|list`: a user's roles (Django groups), as the user admin
page edits them (accounts/admin.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from accounts.management.grant_command import GrantCommand
from accounts.models import Role
from accounts.selectors import roles_for_user, scopes_for_user

TOKENS_NOTE = (
    "Access tokens already issued keep the scopes they carry until they expire; "
    "new tokens carry these."
)


class Command(GrantCommand):
    help = (
        "A user's roles: `grant USER ROLE...` (an unknown role is an error unless --create), "
        "`revoke USER ROLE...`, `list [USER]`. Prints the user's roles and the scopes new "
        "access tokens will carry. Scopes are granted to roles: see `manage.py scopes`."
    )
    holder_argument = "username"
    names_argument = "roles"
    kind = "role"
    granted_model = Group
    grant_help = "give a user roles"
    revoke_help = "take roles from a user"
    create_help = "create a missing role (with its default scopes, if any)"
    list_help = "every role with its scopes and member count, or one user's roles and scopes"
    list_takes_holder = True
    grant_note = revoke_note = TOKENS_NOTE
    refused_message = "no role {names} (pass --create to create it); nothing was granted"
    not_held_message = "{holder} does not have role {names}; nothing was revoked"
    granted_message = "Granted {names} to {holder}"
    revoked_message = "Revoked {names} from {holder}"

    def holder_get(self, name):
        User = get_user_model()
        try:
            return User.objects.get(username=User.normalize_username(name))
        except User.DoesNotExist:
            raise CommandError(f"no user '{name}'") from None

    def holder_label(self, holder):
        return holder.username

    def granted_of(self, holder):
        return holder.groups

    def name_ensure(self, name):
        return Role.objects.ensure(name=name)

    def holder_line(self, holder):
        return (
            f"{holder.username}: roles {', '.join(roles_for_user(holder)) or '—'}; scopes "
            f"{' '.join(sorted(scopes_for_user(holder))) or '—'}"
        )

    def list_lines(self, holder_name):
        if holder_name:
            return [self.holder_line(self.holder_get(holder_name))]
        return [
            f"{group.name}: scopes "
            f"{' '.join(sorted(scope.name for scope in group.scopes.all())) or '—'}; "
            f"{group.user_set.count()} user(s)"
            for group in Group.objects.order_by("name").prefetch_related("scopes")
        ]
