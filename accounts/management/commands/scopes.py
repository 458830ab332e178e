"""`manage.py scopes grant|revoke|list`: which roles grant which scopes, as the role and
scope admin pages edit them (accounts/admin.py). Users get scopes through their roles."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Scope
from accounts.scope_names import KNOWN_SCOPES, SCOPE_DESCRIPTIONS


def role_get(name: str) -> Group:
    try:
        return Group.objects.get(name=name)
    except Group.DoesNotExist:
        raise CommandError(f"no role '{name}' (create it with `manage.py roles grant USER "
                           f"{name} --create` or in the admin)") from None


def role_scopes_line(role: Group) -> str:
    scopes = " ".join(sorted(role.scopes.values_list("name", flat=True))) or "—"
    return f"{role.name}: scopes {scopes}"


class Command(BaseCommand):
    help = (
        "Scopes granted through roles: `grant ROLE SCOPE...`, `revoke ROLE SCOPE...`, "
        f"`list`. Scopes the code knows: {' '.join(KNOWN_SCOPES)} (others only with "
        "--create). Every member of the role gets the scope in new access tokens."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        grant = actions.add_parser("grant", help="let a role grant scopes")
        grant.add_argument("role")
        grant.add_argument("scopes", nargs="+", metavar="SCOPE")
        grant.add_argument("--create", action="store_true",
                           help="create a scope the code does not know (e.g. for another "
                                "service reading the tokens)")
        revoke = actions.add_parser("revoke", help="stop a role granting scopes")
        revoke.add_argument("role")
        revoke.add_argument("scopes", nargs="+", metavar="SCOPE")
        actions.add_parser("list", help="every scope and the roles that grant it")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_grant(self, *, role, scopes, create, **options):
        group = role_get(role)
        existing = set(Scope.objects.filter(name__in=scopes).values_list("name", flat=True))
        unknown = [name for name in scopes if name not in existing and name not in KNOWN_SCOPES]
        if unknown and not create:
            raise CommandError(f"unknown scope {', '.join(unknown)} (known: "
                               f"{' '.join(KNOWN_SCOPES)}; pass --create for a new one); "
                               "nothing was granted")
        for name in scopes:
            scope, created = Scope.objects.get_or_create(
                name=name, defaults={"description": SCOPE_DESCRIPTIONS.get(name, "")})
            if created:
                self.stdout.write(f"Created scope {name}")
            scope.roles.add(group)
        self.stdout.write(f"Role {group.name} now grants {', '.join(scopes)}")
        self.stdout.write(role_scopes_line(group))

    def handle_revoke(self, *, role, scopes, **options):
        group = role_get(role)
        granted = set(group.scopes.filter(name__in=scopes).values_list("name", flat=True))
        not_granted = [name for name in scopes if name not in granted]
        if not_granted:
            raise CommandError(f"role {group.name} does not grant {', '.join(not_granted)}; "
                               "nothing was revoked")
        group.scopes.remove(*Scope.objects.filter(name__in=scopes))
        self.stdout.write(f"Role {group.name} no longer grants {', '.join(scopes)}")
        self.stdout.write(role_scopes_line(group))
        self.stdout.write("Access tokens already issued keep the scopes they carry until "
                          "they expire.")

    def handle_list(self, **options):
        for scope in Scope.objects.order_by("name").prefetch_related("roles"):
            roles = ", ".join(sorted(role.name for role in scope.roles.all())) or "—"
            self.stdout.write(f"{scope.name}: granted by {roles}")
