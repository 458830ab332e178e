"""`manage.py roles grant|revoke|list`: a user's roles (Django groups), as the user admin
page edits them (accounts/admin.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.selectors import roles_for_user, scopes_for_user

TOKENS_NOTE = ("Access tokens already issued keep the scopes they carry until they expire; "
               "new tokens carry these.")


def user_get(username: str):
    User = get_user_model()
    try:
        return User.objects.get(username=User.normalize_username(username))
    except User.DoesNotExist:
        raise CommandError(f"no user '{username}'") from None


def user_access_line(user) -> str:
    return (f"{user.username}: roles {', '.join(roles_for_user(user)) or '—'}; scopes "
            f"{' '.join(sorted(scopes_for_user(user))) or '—'}")


class Command(BaseCommand):
    help = (
        "A user's roles: `grant USER ROLE...` (an unknown role is an error unless --create), "
        "`revoke USER ROLE...`, `list [USER]`. Prints the user's roles and the scopes new "
        "access tokens will carry. Scopes are granted to roles: see `manage.py scopes`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        grant = actions.add_parser("grant", help="give a user roles")
        grant.add_argument("username")
        grant.add_argument("roles", nargs="+", metavar="ROLE")
        grant.add_argument("--create", action="store_true",
                           help="create a missing role (with its default scopes, if any)")
        revoke = actions.add_parser("revoke", help="take roles from a user")
        revoke.add_argument("username")
        revoke.add_argument("roles", nargs="+", metavar="ROLE")
        listing = actions.add_parser("list", help="every role with its scopes and member "
                                                  "count, or one user's roles and scopes")
        listing.add_argument("username", nargs="?")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_grant(self, *, username, roles, create, **options):
        user = user_get(username)
        missing = [name for name in roles if not Group.objects.filter(name=name).exists()]
        if missing and not create:
            raise CommandError(f"no role {', '.join(missing)} (pass --create to create it); "
                               "nothing was granted")
        groups = [Role.objects.ensure(name=name) for name in roles]
        for name in missing:
            self.stdout.write(f"Created role {name}")
        user.groups.add(*groups)
        self.stdout.write(f"Granted {', '.join(roles)} to {user.username}")
        self.stdout.write(user_access_line(user))
        self.stdout.write(TOKENS_NOTE)

    def handle_revoke(self, *, username, roles, **options):
        user = user_get(username)
        held = set(user.groups.filter(name__in=roles).values_list("name", flat=True))
        not_held = [name for name in roles if name not in held]
        if not_held:
            raise CommandError(f"{user.username} does not have role {', '.join(not_held)}; "
                               "nothing was revoked")
        user.groups.remove(*Group.objects.filter(name__in=roles))
        self.stdout.write(f"Revoked {', '.join(roles)} from {user.username}")
        self.stdout.write(user_access_line(user))
        self.stdout.write(TOKENS_NOTE)

    def handle_list(self, *, username, **options):
        if username:
            self.stdout.write(user_access_line(user_get(username)))
            return
        for group in Group.objects.order_by("name").prefetch_related("scopes"):
            scopes = " ".join(sorted(scope.name for scope in group.scopes.all())) or "—"
            self.stdout.write(f"{group.name}: scopes {scopes}; {group.user_set.count()} user(s)")
