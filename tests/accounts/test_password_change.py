"""A password change signs the user out everywhere (docs/contract.md §2.4), whichever way it happens:
the model (every path ends there), the admin's password form, `manage.py changepassword`,
and the API `POST /password`."""

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.urls import reverse, set_script_prefix

from accounts.tokens import token_pair_for_user
from tests.helpers import PROJECT_ROOT
from tests.helpers.accounts import GOOD_PASSWORD

NEW_PASSWORD = "another-horse-battery-42"


@pytest.fixture
def old_session(user):
    """A token pair minted before the change, and a second device's refresh token."""
    return {**token_pair_for_user(user), "other_refresh": token_pair_for_user(user)["refresh"]}


def assert_signed_out(client, post_json, session):
    """Every token minted before the change is refused: bearer, /verify, refresh."""
    private = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {session['token']}")
    assert private.status_code == 401
    assert post_json("/verify", {"token": session["token"]}).status_code == 401
    for refresh in (session["refresh"], session["other_refresh"]):
        assert post_json("/token/refresh", {"refresh": refresh}).status_code == 401


def blacklisted_count(user) -> int:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    return BlacklistedToken.objects.filter(token__user=user).count()


# --- the model: where every password change passes --------------------------------------


def test_set_password_and_save_revokes_every_token(client, post_json, user, old_session):
    user.set_password(NEW_PASSWORD)
    user.save()

    assert user.token_generation == 1
    assert_signed_out(client, post_json, old_session)
    assert blacklisted_count(user) == 2  # both refresh tokens, as the admin lists them
    fresh = token_pair_for_user(user)
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {fresh['token']}").status_code == 200


def test_set_password_without_save_changes_nothing_yet(client, user, old_session):
    user.set_password(NEW_PASSWORD)

    response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {old_session['token']}")

    assert response.status_code == 200


def test_set_unusable_password_revokes_too(client, post_json, user, old_session):
    user.set_unusable_password()
    user.save(update_fields=["password"])

    assert_signed_out(client, post_json, old_session)


def test_a_new_hash_saved_without_set_password_revokes_too(client, post_json, user, old_session):
    """The database compares the hash being saved with the stored one: no flag on the
    instance decides, so a hash assigned directly counts as a change like any other."""
    from django.contrib.auth.hashers import make_password

    user.password = make_password(NEW_PASSWORD)
    user.save()

    assert user.token_generation == 1
    assert_signed_out(client, post_json, old_session)


def test_other_saves_keep_the_tokens(client, post_json, user, old_session):
    user.first_name = "Ann"
    user.save()

    private = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {old_session['token']}")
    assert private.status_code == 200
    assert post_json("/token/refresh", {"refresh": old_session["refresh"]}).status_code == 200


def test_a_new_user_starts_at_generation_zero_and_can_use_its_tokens(client, make_user):
    bea = make_user("bea")

    token = token_pair_for_user(bea)["token"]

    assert bea.token_generation == 0
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_hash_upgrade_at_login_keeps_the_new_tokens_valid(client, post_json, user, settings):
    """The login's hash upgrade saves update_fields=["password"]: the generation must be
    saved with it, or the token minted right after would carry a number the row lacks."""
    from django.contrib.auth.hashers import make_password

    user.password = make_password(GOOD_PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")  # so PBKDF2 upgrades

    login = post_json("/login", {"username": "ann", "password": GOOD_PASSWORD})

    user.refresh_from_db()
    assert user.password.startswith("md5$")
    token = login.json()["token"]
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


# --- the admin's password form ------------------------------------------------------------


def test_the_admin_password_form_revokes_every_token(
    client, post_json, user, old_session, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", password=GOOD_PASSWORD)
    client.force_login(admin)
    # reverse() prefixes the thread's script prefix, which the last request set: a request
    # through Zappa's handler in an earlier test leaves its stage ("/dev/") there.
    set_script_prefix("/")
    url = reverse("admin:auth_user_password_change", args=[user.pk])  # UserAdmin's name

    response = client.post(
        url, {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    client.logout()

    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_signed_out(client, post_json, old_session)


# --- manage.py changepassword, the real command in its own process ------------------------


def _test_database_url() -> str:
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_manage_py_changepassword_revokes_every_token(client, post_json, make_user):
    ann = make_user("ann")
    session = {**token_pair_for_user(ann), "other_refresh": token_pair_for_user(ann)["refresh"]}
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.django.test",
        "DATABASE_URL": _test_database_url(),
    }

    # No controlling terminal (new session): getpass reads the two prompts from stdin.
    process = subprocess.run(
        [sys.executable, "manage.py", "changepassword", "ann"],
        cwd=PROJECT_ROOT,
        env=environ,
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )

    assert process.returncode == 0, process.stderr
    assert "Password changed successfully" in process.stdout
    assert_signed_out(client, post_json, session)


# --- POST /password -------------------------------------------------------------------------


@pytest.fixture
def change_password(post_json):
    def post(session, body, path="/password"):
        return post_json(path, body, HTTP_AUTHORIZATION=f"Bearer {session['token']}")

    return post


@pytest.mark.parametrize("path", ["/password", "/password/"])
def test_api_change_answers_a_fresh_pair_and_revokes_the_old_ones(
    client, post_json, user, old_session, change_password, path
):
    response = change_password(old_session, {"old": GOOD_PASSWORD, "new": NEW_PASSWORD}, path)

    assert response.status_code == 200
    assert set(response.json()) == {"token", "refresh"}
    assert_signed_out(client, post_json, old_session)
    fresh = response.json()
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {fresh['token']}").json() == {
        "message": "Hello ann"
    }
    assert post_json("/token/refresh", {"refresh": fresh["refresh"]}).status_code == 200
    assert post_json("/login", {"username": "ann", "password": NEW_PASSWORD}).status_code == 200
    assert post_json("/login", {"username": "ann", "password": GOOD_PASSWORD}).status_code == 401


def test_api_wrong_old_password_is_400_and_changes_nothing(
    client, user, old_session, change_password
):
    response = change_password(old_session, {"old": "not-my-password", "new": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "error": "The current password is incorrect",
        "fields": {"old": "The current password is incorrect"},
    }
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert (
        client.get("/private", HTTP_AUTHORIZATION=f"Bearer {old_session['token']}").status_code
        == 200
    )


def test_api_wrong_old_passwords_count_as_failed_logins(
    post_json, user, old_session, change_password, settings
):
    """A stolen access token buys no more guesses than /login gives: the same counters."""
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    for attempt in range(3):
        wrong = change_password(old_session, {"old": f"guess-{attempt}", "new": NEW_PASSWORD})
        assert wrong.status_code == 400

    throttled = change_password(old_session, {"old": GOOD_PASSWORD, "new": NEW_PASSWORD})
    login = post_json("/login", {"username": "ann", "password": GOOD_PASSWORD})

    assert throttled.status_code == 429
    assert throttled.json()["status"] == "error"
    assert throttled.json()["error"].startswith("Too many failed password attempts.")
    assert int(throttled["Retry-After"]) > 0
    assert login.status_code == 429
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize("new", ["short", "password123", "12345678901234", "qwertyuiop"])
def test_api_new_password_must_pass_the_policy(user, old_session, change_password, new):
    response = change_password(old_session, {"old": GOOD_PASSWORD, "new": new})

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert set(body["fields"]) == {"new"}
    assert body["error"] == f"Invalid input: new: {body['fields']['new']}"
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"old": GOOD_PASSWORD},
        {"new": NEW_PASSWORD},
        {"old": 1, "new": NEW_PASSWORD},
        {"old": GOOD_PASSWORD, "new": ["x"]},
        {"old": GOOD_PASSWORD, "new": "x" * 4097},
        "[]",
        "not json",
    ],
)
def test_api_bad_input_is_400(user, old_session, change_password, body):
    response = change_password(old_session, body)

    assert response.status_code == 400
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"}])
def test_api_needs_a_valid_bearer_token(post_json, user, headers):
    response = post_json("/password", {"old": GOOD_PASSWORD, "new": NEW_PASSWORD}, **headers)

    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_api_refuses_an_admin_session_without_a_token(client, user, django_user_model):
    """Only a bearer token authenticates /password: a logged-in admin's browser session is
    not enough (no CSRF route to change someone's password)."""
    client.force_login(user)

    response = client.post(
        "/password",
        data=json.dumps({"old": GOOD_PASSWORD, "new": NEW_PASSWORD}),
        content_type="application/json",
    )

    assert response.status_code == 401
