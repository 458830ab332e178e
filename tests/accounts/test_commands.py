"""The operator's access commands (docs/contract.md §4.1): roles for users, scopes for roles."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Scope
from accounts.selectors import scopes_for_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def editors():
    """A role granting items:read only."""
    role = Group.objects.create(name="editors")
    Scope.objects.get_or_create(name="items:read")[0].roles.add(role)
    return role


@pytest.fixture
def bare_user(make_user):
    user = make_user("bob")
    user.groups.clear()  # no default role: what the commands grant is all it has
    return user


# --- roles ---------------------------------------------------------------------------------


def test_grant_a_role_gives_its_scopes(bare_user, editors):
    assert scopes_for_user(bare_user) == frozenset()

    output = run("roles", "grant", "bob", "editors")

    assert output.splitlines() == [
        "Granted editors to bob",
        "bob: roles editors; scopes items:read",
        "Access tokens already issued keep the scopes they carry until they expire; new "
        "tokens carry these.",
    ]
    assert scopes_for_user(bare_user) == {"items:read"}


def test_grant_an_unknown_role_fails_unless_created(bare_user, editors):
    with pytest.raises(
        CommandError, match="no role auditors \\(pass --create to create it\\); nothing was granted"
    ):
        run("roles", "grant", "bob", "editors", "auditors")
    assert not bare_user.groups.exists()

    output = run("roles", "grant", "bob", "auditors", "--create")
    assert output.startswith("Created role auditors\nGranted auditors to bob\n")
    assert list(bare_user.groups.values_list("name", flat=True)) == ["auditors"]


def test_the_default_role_is_created_with_its_default_scopes(bare_user):
    Group.objects.filter(name="member").delete()
    run("roles", "grant", "bob", "member", "--create")
    assert scopes_for_user(bare_user) == {
        "items:read",
        "items:write",
        "pipelines:run",
        "browser:use",
    }


def test_revoke_a_role(bare_user, editors):
    bare_user.groups.add(editors)

    assert run("roles", "revoke", "bob", "editors").splitlines()[:2] == [
        "Revoked editors from bob",
        "bob: roles —; scopes —",
    ]
    assert scopes_for_user(bare_user) == frozenset()

    with pytest.raises(CommandError, match="bob does not have role editors"):
        run("roles", "revoke", "bob", "editors")


def test_an_unknown_user_fails(editors):
    for action in ("grant", "revoke"):
        with pytest.raises(CommandError, match="no user 'nobody'"):
            run("roles", action, "nobody", "editors")


def test_list_roles_and_a_users_access(bare_user, editors):
    bare_user.groups.add(editors)
    assert "editors: scopes items:read; 1 user(s)" in run("roles", "list").splitlines()
    assert run("roles", "list", "bob") == "bob: roles editors; scopes items:read\n"


# --- scopes --------------------------------------------------------------------------------


def test_grant_and_revoke_a_scope_for_a_role(bare_user, editors):
    bare_user.groups.add(editors)

    output = run("scopes", "grant", "editors", "items:write", "pipelines:run")

    assert output.splitlines()[-2:] == [
        "Role editors now grants items:write, pipelines:run",
        "editors: scopes items:read items:write pipelines:run",
    ]
    assert scopes_for_user(bare_user) == {"items:read", "items:write", "pipelines:run"}

    run("scopes", "revoke", "editors", "items:write")
    assert scopes_for_user(bare_user) == {"items:read", "pipelines:run"}


def test_an_unknown_scope_needs_create(editors):
    with pytest.raises(CommandError, match=r"unknown scope reports:read .*nothing was granted"):
        run("scopes", "grant", "editors", "items:write", "reports:read")
    assert list(editors.scopes.values_list("name", flat=True)) == ["items:read"]

    assert run("scopes", "grant", "editors", "reports:read", "--create").startswith(
        "Created scope reports:read\n"
    )
    assert Scope.objects.get(name="reports:read").roles.get() == editors


def test_scope_commands_fail_on_an_unknown_role_or_an_ungranted_scope(editors):
    with pytest.raises(CommandError, match="no role 'ghosts'"):
        run("scopes", "grant", "ghosts", "items:read")
    with pytest.raises(
        CommandError, match="role editors does not grant browser:use; nothing was revoked"
    ):
        run("scopes", "revoke", "editors", "items:read", "browser:use")
    assert list(editors.scopes.values_list("name", flat=True)) == ["items:read"]


def test_list_scopes(editors):
    assert "items:read: granted by editors, member" in run("scopes", "list").splitlines()
