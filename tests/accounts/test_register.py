"""POST /register: 201, the password policy, and what is stored (Argon2, never a bare SHA)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher, check_password, identify_hasher

from accounts.models import RegistrationAttempt
from tests.helpers.accounts import GOOD_PASSWORD

User = get_user_model()


@pytest.mark.parametrize("path", ["/register", "/register/"])
def test_register_creates_a_member_and_returns_201(post_json, db, path):
    response = post_json(
        path, {"username": "bea", "password": GOOD_PASSWORD, "email": "bea@example.org"}
    )

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


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749201736452", "entirely numeric"),
        ("bea-the-user", "too similar"),
    ],
)
def test_register_enforces_the_password_validators(post_json, db, password, reason):
    response = post_json("/register", {"username": "bea-the-user", "password": password})

    assert response.status_code == 400
    assert reason in response.json()["fields"]["password"]
    assert not User.objects.filter(username="bea-the-user").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "bad name!", "password": GOOD_PASSWORD}, "username"),
        ({"username": "bea", "password": GOOD_PASSWORD, "email": "not-an-email"}, "email"),
        ({"username": "bea", "password": GOOD_PASSWORD, "email": 7}, "email"),
        ({"username": "bea"}, "password"),
    ],
)
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
    weak = [
        name
        for name in base.PASSWORD_HASHERS
        if name.rsplit(".", 1)[-1]
        in {
            "SHA1PasswordHasher",
            "MD5PasswordHasher",
            "UnsaltedSHA1PasswordHasher",
            "UnsaltedMD5PasswordHasher",
        }
    ]
    assert weak == []


# --- a taken name costs the same work; registrations are limited per address ----------------


class CountingHasher(MD5PasswordHasher):
    """The configured hasher, counting how often it hashes (the work that dominates time)."""

    algorithm = "counting_md5"
    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_register.CountingHasher"]
    CountingHasher.hashes = 0
    return CountingHasher


def _hashes_for(post_json, hasher, payload, expected_status):
    hasher.hashes = 0
    response = post_json("/register", payload)
    assert response.status_code == expected_status, response.content
    return hasher.hashes


def test_a_taken_name_costs_the_same_hashing_as_a_free_one(post_json, user, counting_hasher):
    """Timing is dominated by the hash: both answers hash the password exactly once
    (benchmarks/register_timing.py measures the times with Argon2)."""
    password = {"password": "another-passphrase-8"}

    taken = _hashes_for(post_json, counting_hasher, {"username": "ann", **password}, 400)
    taken_other_case = _hashes_for(post_json, counting_hasher, {"username": "ANN", **password}, 400)
    free = _hashes_for(post_json, counting_hasher, {"username": "bea", **password}, 201)

    assert taken == taken_other_case == free == 1


@pytest.fixture
def registration_limit(settings):
    settings.REGISTRATIONS_PER_ADDRESS = 3
    settings.REGISTRATION_WINDOW_SECONDS = 3600
    return settings


def _register(post_json, username, address="198.51.100.30", password=GOOD_PASSWORD):
    return post_json("/register", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_registrations_from_one_address_are_limited_taken_names_included(
    post_json, user, registration_limit, counting_hasher
):
    statuses = [_register(post_json, name).status_code for name in ("bea", "ann", "cid")]
    counting_hasher.hashes = 0

    refused = _register(post_json, "dan")
    elsewhere = _register(post_json, "dan", address="192.0.2.30")

    assert statuses == [201, 400, 201]
    assert refused.status_code == 429
    assert refused.json()["status"] == "error"
    assert refused.json()["error"].startswith("Too many registrations from this address.")
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert counting_hasher.hashes == 1  # the refused one cost no hashing
    assert elsewhere.status_code == 201


def test_an_ipv6_client_is_limited_per_64(post_json, db, registration_limit):
    for n in range(3):
        assert _register(post_json, f"user{n}", address=f"2001:db8:5:5::{n + 1}").status_code == 201

    assert _register(post_json, "user9", address="2001:db8:5:5:ffff::1").status_code == 429
    assert _register(post_json, "user9", address="2001:db8:5:6::1").status_code == 201


def test_refused_input_is_not_counted(post_json, db, registration_limit):
    for _ in range(5):
        assert _register(post_json, "bea", password="short").status_code == 400

    assert _register(post_json, "bea").status_code == 201
    assert RegistrationAttempt.objects.count() == 1


def test_sign_up_on_first_login_shares_the_registration_limit(
    post_json, user, settings, registration_limit
):
    settings.SIGN_UP_ON_FIRST_LOGIN = True

    def login(username):
        return post_json(
            "/login", {"username": username, "password": GOOD_PASSWORD}, REMOTE_ADDR="198.51.100.31"
        )

    _register(post_json, "bea", address="198.51.100.31")
    signed_up = [login(name).status_code for name in ("cid", "dan")]

    refused = login("eve")
    existing = login("ann")

    assert signed_up == [200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"].startswith("Too many registrations from this address.")
    assert existing.status_code == 200  # logging in is not registering
    assert not User.objects.filter(username="eve").exists()
