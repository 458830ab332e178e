"""`manage.py scopes grant|revoke|list`: which roles grant which scopes, as the role and
scope admin pages edit them (accounts/admin.py). Users get scopes through their roles."""

from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from accounts.management.grant_command import GrantCommand
from accounts.models import Scope
from accounts.registry import known_scopes, scope_description


class Command(GrantCommand):
    help = (
        "Scopes granted through roles: `grant ROLE SCOPE...`, `revoke ROLE SCOPE...`, "
        f"`list`. Scopes the code knows: {' '.join(known_scopes())} (others only with "
        "--create). Every member of the role gets the scope in new access tokens."
    )
    holder_argument = "role"
    names_argument = "scopes"
    kind = "scope"
    granted_model = Scope
    grant_help = "let a role grant scopes"
    revoke_help = "stop a role granting scopes"
    create_help = (
        "create a scope the code does not know (e.g. for another service reading the tokens)"
    )
    list_help = "every scope and the roles that grant it"
    revoke_note = "Access tokens already issued keep the scopes they carry until they expire."
    refused_message = (
        f"unknown scope {{names}} (known: {' '.join(known_scopes())}; pass "
        "--create for a new one); nothing was granted"
    )
    not_held_message = "role {holder} does not grant {names}; nothing was revoked"
    granted_message = "Role {holder} now grants {names}"
    revoked_message = "Role {holder} no longer grants {names}"

    def holder_get(self, name):
        try:
            return Group.objects.get(name=name)
        except Group.DoesNotExist:
            raise CommandError(
                f"no role '{name}' (create it with `manage.py roles grant USER "
                f"{name} --create` or in the admin)"
            ) from None

    def holder_label(self, holder):
        return holder.name

    def granted_of(self, holder):
        return holder.scopes

    def names_refused(self, missing):
        return [name for name in missing if name not in known_scopes()]

    def name_ensure(self, name):
        return Scope.objects.get_or_create(
            name=name, defaults={"description": scope_description(name)}
        )[0]

    def holder_line(self, holder):
        scopes = " ".join(sorted(holder.scopes.values_list("name", flat=True))) or "—"
        return f"{holder.name}: scopes {scopes}"

    def list_lines(self, holder_name):
        return [
            f"{scope.name}: granted by "
            f"{', '.join(sorted(role.name for role in scope.roles.all())) or '—'}"
            for scope in Scope.objects.order_by("name").prefetch_related("roles")
        ]
