"""The backoffice: users, roles with their scopes, scopes, tokens, failed logins; and the
admin's login, throttled with /login's counters (Django's test client and real Chromium)."""

import json

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import LoginFailure, RegistrationAttempt, Scope
from accounts.tokens import token_pair_for_user

ADMIN_PASSWORD = "root-password-123"
WRONG = "not-the-password-1"
INVALID_LOGIN = "Please enter the correct username and password"
LOCKED_OUT = "Too many failed login attempts"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="root-password-123")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/role/",
        "/admin/accounts/scope/",
        "/admin/accounts/loginfailure/",
        "/admin/accounts/registrationattempt/",
        "/admin/token_blacklist/outstandingtoken/",
        "/admin/token_blacklist/blacklistedtoken/",
    ],
)
def test_admin_lists_open(admin_client, user, url):
    token_pair_for_user(user)
    LoginFailure.objects.create(
        username_key="ann", client_address="192.0.2.1", failed_at=timezone.now()
    )
    RegistrationAttempt.objects.create(client_address="192.0.2.1", attempted_at=timezone.now())

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

    response = admin_client.post(
        f"/admin/accounts/role/{role.pk}/change/",
        {
            "name": "reader",
            f"{through}TOTAL_FORMS": "1",
            f"{through}INITIAL_FORMS": "0",
            f"{through}MIN_NUM_FORMS": "0",
            f"{through}MAX_NUM_FORMS": "1000",
            f"{through}0-scope": str(scope.pk),
            f"{through}0-group": str(role.pk),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(role.scopes.values_list("name", flat=True)) == ["items:read"]


def test_admin_creates_a_scope_for_roles(admin_client, db):
    member = Group.objects.get(name="member")

    response = admin_client.post(
        "/admin/accounts/scope/add/",
        {"name": "reports:view", "description": "See reports", "roles": [str(member.pk)]},
    )

    assert response.status_code == 302
    assert Scope.objects.get(name="reports:view").roles.get() == member


def test_groups_appear_once_as_roles(admin_client):
    index = admin_client.get("/admin/").content.decode()

    assert "/admin/accounts/role/" in index
    assert "/admin/auth/group/" not in index


# --- the admin's login: the same throttle and counters as /login ----------------------------


@pytest.fixture
def root(django_user_model, settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    return django_user_model.objects.create_superuser("root", password=ADMIN_PASSWORD)


def _admin_login(client, username, password):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )
    return response, "_auth_user_id" in client.session


def _api_login(client, username, password):
    return client.post(
        "/login",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def test_thirty_wrong_admin_passwords_are_counted_and_locked_out(client, root, settings):
    pages = [_admin_login(client, "root", WRONG)[0].content.decode() for _ in range(30)]

    limit = settings.LOGIN_FAILURES_PER_USERNAME
    assert all(INVALID_LOGIN in page for page in pages[:limit])
    assert all(LOCKED_OUT in page and INVALID_LOGIN not in page for page in pages[limit:])
    # Only checked attempts count, as on /login.
    assert LoginFailure.objects.filter(username_key="root").count() == limit
    right_password, logged_in = _admin_login(client, "root", ADMIN_PASSWORD)
    assert LOCKED_OUT in right_password.content.decode() and not logged_in
    assert _api_login(client, "root", ADMIN_PASSWORD).status_code == 429


def test_while_login_answers_429_the_admin_refuses_the_right_password(client, root, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_USERNAME):
        assert _api_login(client, "root", WRONG).status_code == 401
    assert _api_login(client, "root", ADMIN_PASSWORD).status_code == 429

    response, logged_in = _admin_login(client, "ROOT", ADMIN_PASSWORD)

    assert not logged_in
    assert LOCKED_OUT in response.content.decode()


def test_the_admins_per_address_limit_is_logins(client, root, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        _admin_login(client, f"guess{n}", WRONG)

    response, logged_in = _admin_login(client, "root", ADMIN_PASSWORD)

    assert not logged_in and LOCKED_OUT in response.content.decode()
    assert _api_login(client, "root", ADMIN_PASSWORD).status_code == 429


def test_admin_login_accepts_any_case_and_clears_the_accounts_failures(client, root):
    _admin_login(client, "root", WRONG)
    _admin_login(client, "Root", WRONG)

    response, logged_in = _admin_login(client, "ROOT", ADMIN_PASSWORD)

    assert logged_in and response.status_code == 302
    assert not LoginFailure.objects.filter(username_key="root").exists()


def test_a_non_staff_user_with_the_right_password_still_cannot_enter(client, make_user, root):
    make_user("ann")

    response, logged_in = _admin_login(client, "ann", "correct-horse-battery-9")

    assert not logged_in and INVALID_LOGIN in response.content.decode()


def test_admin_login_lockout_in_chromium(
    chromium,
    live_server,
    root,
    settings,
    collected_static,
):
    """A real browser: wrong passwords typed into the admin's form, then the lockout."""
    page = chromium.new_page()

    def submit(username, password):
        async def go():
            import asyncio

            await page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            await page.type("#id_username", username)
            await page.type("#id_password", password)
            await asyncio.gather(page.waitForNavigation(), page.click("input[type=submit]"))
            return await page.evaluate(
                "() => (document.querySelector('.errornote') || {}).textContent || ''"
            )

        return chromium.run(go).strip()

    errors = [submit("root", WRONG) for _ in range(settings.LOGIN_FAILURES_PER_USERNAME + 1)]
    with_right_password = submit("root", ADMIN_PASSWORD)
    api_status = chromium.run(
        page.evaluate(
            """async (password) => (await fetch('/login', {method: 'POST',
            body: JSON.stringify({username: 'root', password})})).status""",
            ADMIN_PASSWORD,
        )
    )

    assert all(INVALID_LOGIN in error for error in errors[:-1])
    assert LOCKED_OUT in errors[-1]
    assert LOCKED_OUT in with_right_password
    assert "/admin/login/" in page.url  # still on the login page, not in the admin
    assert api_status == 429
    assert LoginFailure.objects.filter(username_key="root").count() == (
        settings.LOGIN_FAILURES_PER_USERNAME
    )
