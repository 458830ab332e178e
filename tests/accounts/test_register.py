"""POST /register: 201, the password policy, and what is stored (Argon2, never a bare SHA)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher

from tests.accounts.conftest import GOOD_PASSWORD

User = get_user_model()


@pytest.mark.parametrize("path", ["/register", "/register/"])
def test_register_creates_a_member_and_returns_201(post_json, db, path):
    response = post_json(path, {"username": "bea", "password": GOOD_PASSWORD,
                                "email": "bea@example.org"})

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "bea"
    assert body["user"]["email"] == "bea@example.org"
    assert body["user"]["roles"] == ["member"]
    assert not [key for key in body["user"] if "password" in key.lower()]
    user = User.objects.get(username="bea")
    assert user.is_active and not user.is_staff and not user.is_superuser
    assert user.check_password(GOOD_PASSWORD)


def test_registered_user_can_log_in_with_sign_up_off(post_json, db, settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    post_json("/register", {"username": "bea", "password": GOOD_PASSWORD})

    response = post_json("/login", {"username": "bea", "password": GOOD_PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(("password", "reason"), [
    ("short1", "too short"),
    ("password123", "too common"),
    ("83749201736452", "entirely numeric"),
    ("bea-the-user", "too similar"),
])
def test_register_enforces_the_password_validators(post_json, db, password, reason):
    response = post_json("/register", {"username": "bea-the-user", "password": password})

    assert response.status_code == 400
    assert reason in response.json()["fields"]["password"]
    assert not User.objects.filter(username="bea-the-user").exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"username": "bad name!", "password": GOOD_PASSWORD}, "username"),
    ({"username": "bea", "password": GOOD_PASSWORD, "email": "not-an-email"}, "email"),
    ({"username": "bea", "password": GOOD_PASSWORD, "email": 7}, "email"),
    ({"username": "bea"}, "password"),
])
def test_register_refuses_invalid_fields(post_json, db, payload, field):
    response = post_json("/register", payload)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not User.objects.exists()


def test_register_refuses_a_taken_username(post_json, user):
    response = post_json("/register", {"username": "ann", "password": "another-passphrase-8"})

    assert response.status_code == 400
    assert "already exists" in response.json()["fields"]["username"]
    assert User.objects.get(username="ann").check_password(GOOD_PASSWORD)


def test_production_hashers_store_argon2(post_json, db, settings):
    """The test settings put MD5 first for speed; production's list starts with Argon2."""
    from config.django import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    post_json("/register", {"username": "bea", "password": GOOD_PASSWORD})

    stored = User.objects.get(username="bea").password
    assert identify_hasher(stored).algorithm == "argon2"
    assert stored.startswith("argon2$argon2id$")
    assert GOOD_PASSWORD not in stored
    assert check_password(GOOD_PASSWORD, stored)


def test_no_unsalted_or_bare_sha_hasher_is_configured():
    from config.django import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    weak = [name for name in base.PASSWORD_HASHERS
            if name.rsplit(".", 1)[-1] in {"SHA1PasswordHasher", "MD5PasswordHasher",
                                           "UnsaltedSHA1PasswordHasher",
                                           "UnsaltedMD5PasswordHasher"}]
    assert weak == []
