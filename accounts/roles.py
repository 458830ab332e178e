"""Roles (Django groups) and the scopes they grant: the default role new users receive."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.scopes import KNOWN_SCOPES

# What the default role grants when it has to be created (the data migration does the same).
DEFAULT_ROLE_SCOPES = {
    "member": KNOWN_SCOPES,
}

SCOPE_DESCRIPTIONS = {
    "items:read": "Read your items (REST and GraphQL)",
    "items:write": "Create, update and delete your items",
    "pipelines:run": "Start and watch sumArray pipeline runs",
    "browser:use": "Scrape, screenshot and render pages with the headless browser",
}


def role_ensure(*, name: str) -> Group:
    """The role, created with its default scopes if missing.

    An existing role is left as the admin configured it: granting its defaults again would
    undo an administrator's decision.
    """
    from accounts.models import Scope

    with transaction.atomic():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            for scope_name in DEFAULT_ROLE_SCOPES.get(name, ()):
                scope, _ = Scope.objects.get_or_create(
                    name=scope_name,
                    defaults={"description": SCOPE_DESCRIPTIONS.get(scope_name, "")})
                scope.roles.add(group)
    return group


def user_grant_default_roles(*, user) -> None:
    """Give a new user the stage's default roles (settings.ACCOUNTS_DEFAULT_ROLES)."""
    roles = [role_ensure(name=name) for name in settings.ACCOUNTS_DEFAULT_ROLES]
    if roles:
        user.groups.add(*roles)
