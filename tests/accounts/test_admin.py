"""The backoffice: users, roles with their scopes, scopes, tokens, failed logins."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import LoginFailure, Scope
from accounts.tokens import token_pair_for_user


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="root-password-123")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("url", [
    "/admin/accounts/user/",
    "/admin/accounts/role/",
    "/admin/accounts/scope/",
    "/admin/accounts/loginfailure/",
    "/admin/token_blacklist/outstandingtoken/",
    "/admin/token_blacklist/blacklistedtoken/",
])
def test_admin_lists_open(admin_client, user, url):
    token_pair_for_user(user)
    LoginFailure.objects.create(username_key="ann", client_address="192.0.2.1",
                                failed_at=timezone.now())

    response = admin_client.get(url)

    assert response.status_code == 200


def test_admin_user_page_shows_roles_and_effective_scopes(admin_client, user):
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert "items:write" in page and "browser:use" in page
    assert "member" in admin_client.get("/admin/accounts/user/").content.decode()


def test_admin_grants_a_scope_to_a_role_on_the_roles_page(admin_client, db):
    role = Group.objects.create(name="reader")
    scope = Scope.objects.get(name="items:read")
    through = "Scope_roles-"

    response = admin_client.post(f"/admin/accounts/role/{role.pk}/change/", {
        "name": "reader",
        f"{through}TOTAL_FORMS": "1", f"{through}INITIAL_FORMS": "0",
        f"{through}MIN_NUM_FORMS": "0", f"{through}MAX_NUM_FORMS": "1000",
        f"{through}0-scope": str(scope.pk), f"{through}0-group": str(role.pk),
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(role.scopes.values_list("name", flat=True)) == ["items:read"]


def test_admin_creates_a_scope_for_roles(admin_client, db):
    member = Group.objects.get(name="member")

    response = admin_client.post("/admin/accounts/scope/add/", {
        "name": "reports:view", "description": "See reports", "roles": [str(member.pk)]})

    assert response.status_code == 302
    assert Scope.objects.get(name="reports:view").roles.get() == member


def test_groups_appear_once_as_roles(admin_client):
    index = admin_client.get("/admin/").content.decode()

    assert "/admin/accounts/role/" in index
    assert "/admin/auth/group/" not in index
