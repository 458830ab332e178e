"""POST /login: the book's shape, sign-up on first login as a stage setting, bad input."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher

from tests.helpers.accounts import GOOD_PASSWORD

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("path", ["/login", "/login/"])
def test_login_returns_the_books_shape_without_password_fields(post_json, user, path):
    response = post_json(path, {"username": "ann", "password": GOOD_PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "token", "refresh"}
    assert body["user"]["username"] == "ann"
    assert not [key for key in body["user"] if "password" in key.lower()]
    assert GOOD_PASSWORD not in response.content.decode()
    assert user.password not in response.content.decode()
    assert ISO_UTC.match(body["user"]["createdAt"])
    assert ISO_UTC.match(body["user"]["lastSignedInAt"])
    assert body["user"]["roles"] == ["member"]
    assert body["token"].count(".") == 2 and body["refresh"].count(".") == 2


def test_login_records_the_sign_in_time(post_json, user):
    assert user.last_login is None

    post_json("/login", {"username": "ann", "password": GOOD_PASSWORD})

    user.refresh_from_db()
    assert user.last_login is not None


def test_login_accepts_json_sent_as_text_plain_like_the_books_fetch(client, user):
    response = client.post(
        "/login",
        data=json.dumps({"username": "ann", "password": GOOD_PASSWORD}),
        content_type="text/plain;charset=UTF-8",
    )

    assert response.status_code == 200


def test_wrong_password_is_401_json(post_json, user):
    response = post_json("/login", {"username": "ann", "password": "not-the-password-1"})

    assert response.status_code == 401
    assert response.json() == {"status": "error", "error": "Invalid username or password"}


def test_inactive_user_cannot_log_in_even_with_the_right_password(post_json, make_user):
    make_user("ann", is_active=False)

    response = post_json("/login", {"username": "ann", "password": GOOD_PASSWORD})

    assert response.status_code == 401
    assert response.json()["error"] == "Invalid username or password"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": GOOD_PASSWORD}, "username"),
        ({"username": "ann"}, "password"),
        ({"username": "ann", "password": 12345678}, "password"),
        ({"username": 42, "password": GOOD_PASSWORD}, "username"),
        ({"username": ["ann"], "password": GOOD_PASSWORD}, "username"),
        ({"username": "ann", "password": None}, "password"),
        ({"username": "", "password": GOOD_PASSWORD}, "username"),
        ({"username": "a" * 151, "password": GOOD_PASSWORD}, "username"),
        ({"username": "ann", "password": "x" * 5000}, "password"),
    ],
)
def test_missing_or_mistyped_fields_are_400_with_the_field_named(post_json, user, payload, field):
    response = post_json("/login", payload)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert field in body["fields"]


@pytest.mark.parametrize("body", ["not json", '{"username": ', "[1, 2]", '"ann"', "null", ""])
def test_a_body_that_is_not_a_json_object_is_400(post_json, db, body):
    response = post_json("/login", body)

    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_login_is_never_redirected_and_get_is_405_json(client, db):
    response = client.get("/login")

    assert response.status_code == 405
    assert response.json()["status"] == "error"


def test_sign_up_on_first_login_registers_an_unknown_username(post_json, db, settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = True

    first = post_json("/login", {"username": "newcomer", "password": GOOD_PASSWORD})
    again = post_json("/login", {"username": "newcomer", "password": GOOD_PASSWORD})
    wrong = post_json("/login", {"username": "newcomer", "password": "another-password-7"})

    assert first.status_code == 200
    assert first.json()["user"]["username"] == "newcomer"
    assert first.json()["user"]["roles"] == ["member"]
    assert again.status_code == 200
    assert wrong.status_code == 401
    assert get_user_model().objects.filter(username="newcomer").count() == 1


def test_sign_up_on_first_login_enforces_the_password_policy(post_json, db, settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = True

    response = post_json("/login", {"username": "newcomer", "password": "123"})

    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_without_sign_up_unknown_user_and_wrong_password_get_the_same_401(
    post_json, user, settings
):
    settings.SIGN_UP_ON_FIRST_LOGIN = False

    unknown = post_json("/login", {"username": "nobody", "password": GOOD_PASSWORD})
    wrong = post_json("/login", {"username": "ann", "password": "not-the-password-1"})

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert not get_user_model().objects.filter(username="nobody").exists()


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast), counting how many times a password is hashed."""

    algorithm = "counting_md5"
    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


def _hashes_during(post_json, payload) -> int:
    CountingHasher.hashes = 0
    response = post_json("/login", payload)
    assert response.status_code == 401
    return CountingHasher.hashes


def test_unknown_user_costs_the_same_hashing_as_a_wrong_password(post_json, make_user, settings):
    """Time is dominated by the hash: both paths hash the password exactly once (the
    benchmark measures the times with Argon2: ratio about 1)."""
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    settings.PASSWORD_HASHERS = ["tests.accounts.test_login.CountingHasher"]
    make_user("ann")

    unknown = _hashes_during(post_json, {"username": "nobody", "password": GOOD_PASSWORD})
    wrong = _hashes_during(post_json, {"username": "ann", "password": "wrong-password-1"})
    inactive_user = make_user("bea", is_active=False)
    inactive = _hashes_during(
        post_json, {"username": inactive_user.username, "password": GOOD_PASSWORD}
    )

    assert unknown == wrong == inactive == 1


def test_a_body_over_the_upload_limit_is_413_json(post_json, db):
    response = post_json("/login", {"username": "ann", "password": "x" * 2_000_000})

    assert response.status_code == 413
    assert response.json() == {
        "status": "error",
        "error": "Request body is too large (more than 1048576 bytes)",
    }
