"""Attacks on accounts (issue 9 items 2, 4, 6, 7), as an attacker would run them against
/login, /register, sign-up on first login and the admin's login. Runnable alone:

    scripts/test tests/security/test_accounts_attacks.py

Cases per class (pytest ids start with the class):
- case_variants: 10 pairs of a victim's name and a variant an attacker would register
  (ASCII case, fullwidth, ß/ss, ǅ/ǆ/Dž, Kelvin sign, ligatures, final sigma), 3 attacks each: 30
- admin_brute_force: 4 username spellings x 30 wrong passwords, plus 3 interleavings of the
  admin and /login: 7
- register_enumeration: 8 names (taken in 6 spellings, 2 free) for equal hashing, plus 2
  throttle runs (taken-only, free-only): 10
- ipv6_rotation: 6 rotation patterns within one /64 against /login, 3 against /register: 9
"""

import json
import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.models import LoginFailure

User = get_user_model()

VICTIM_PASSWORD = "victims-long-passphrase-4"
ATTACKER_PASSWORD = "attackers-long-passphrase-5"
ADMIN_PASSWORD = "root-password-123"
WRONG = "a-wrong-guess-123"


def _post(client, path, payload, address="198.51.100.77"):
    return client.post(
        path, json.dumps(payload), content_type="application/json", REMOTE_ADDR=address
    )


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    settings.REGISTRATIONS_PER_ADDRESS = 10
    settings.REGISTRATION_WINDOW_SECONDS = 3600
    return settings


# --- case_variants: owning a variant of a name must give nothing over that name ------------

VARIANTS = [
    ("dave", "DaVe"),
    ("dave", "DAVE"),
    ("dave", "\uff24\uff41\uff56\uff45"),  # fullwidth "Dave"
    ("dave", "\uff44\uff41\uff56\uff45"),  # fullwidth "dave"
    ("stra\u00dfe", "STRASSE"),  # ß and ss
    ("strasse", "Stra\u00dfe"),
    ("\u01c6ave", "\u01c5ave"),  # ǆ and titlecase ǅ
    ("d\u017eave", "\u01c4AVE"),  # "dž" (two letters) and Ǆ (one)
    ("kelvin", "\u212aELVIN"),  # KELVIN SIGN
    ("\u03c3ofia", "\u03a3OFIA"),  # sigma, capital sigma
]


@pytest.mark.parametrize(("victim", "variant"), VARIANTS)
def test_case_variants_register_is_refused(client, make_user, limits, victim, variant):
    make_user(victim, password=VICTIM_PASSWORD)

    response = _post(client, "/register", {"username": variant, "password": ATTACKER_PASSWORD})

    assert response.status_code == 400
    assert "already exists" in response.json()["fields"]["username"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(("victim", "variant"), VARIANTS)
def test_case_variants_sign_up_on_first_login_is_a_login_to_the_victim(
    client, make_user, limits, victim, variant
):
    limits.SIGN_UP_ON_FIRST_LOGIN = True
    victim_account = make_user(victim, password=VICTIM_PASSWORD)

    attacker = _post(client, "/login", {"username": variant, "password": ATTACKER_PASSWORD})
    owner = _post(
        client, "/login", {"username": variant, "password": VICTIM_PASSWORD}, address="192.0.2.5"
    )

    assert attacker.status_code == 401
    assert owner.status_code == 200 and owner.json()["user"]["id"] == victim_account.pk
    assert User.objects.count() == 1


@pytest.mark.parametrize(("victim", "variant"), VARIANTS)
def test_case_variants_share_the_victims_lockout_and_never_reset_it(
    client, make_user, limits, victim, variant
):
    """The issue's attack: guesses at the victim, a success as the variant to reset the
    count, more guesses. The variant is the victim's account, so the reset needs the
    victim's password."""
    limits.SIGN_UP_ON_FIRST_LOGIN = True
    make_user(victim, password=VICTIM_PASSWORD)
    guesses = [
        _post(
            client, "/login", {"username": name, "password": WRONG}, address=f"198.51.100.{n}"
        ).status_code
        for n, name in enumerate([victim, variant] * 3)
    ]

    attacker_reset = _post(client, "/login", {"username": variant, "password": ATTACKER_PASSWORD})

    assert guesses == [401] * 5 + [429]
    assert attacker_reset.status_code == 429
    assert LoginFailure.objects.count() == 5


# --- admin_brute_force: the admin's login counts with /login ------------------------------


@pytest.fixture
def root(django_user_model, limits):
    limits.SIGN_UP_ON_FIRST_LOGIN = False
    return django_user_model.objects.create_superuser("root", password=ADMIN_PASSWORD)


def _admin(client, username, password):
    page = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )
    return page, "_auth_user_id" in client.session


@pytest.mark.parametrize("spelling", ["root", "ROOT", "Root", "\uff52\uff4f\uff4f\uff54"])
def test_admin_brute_force_thirty_guesses(client, root, spelling):
    pages = [_admin(client, spelling, WRONG)[0].content.decode() for _ in range(30)]

    right, logged_in = _admin(client, spelling, ADMIN_PASSWORD)

    assert sum("Too many failed login attempts" in page for page in pages) == 25
    assert LoginFailure.objects.filter(username_key="root").count() == 5
    assert not logged_in and "Too many failed login attempts" in right.content.decode()


@pytest.mark.parametrize("order", ["admin-first", "api-first", "alternating"])
def test_admin_brute_force_shares_counters_with_login(client, root, order):
    sequence = {
        "admin-first": ["admin"] * 3 + ["api"] * 2,
        "api-first": ["api"] * 3 + ["admin"] * 2,
        "alternating": ["admin", "api"] * 2 + ["admin"],
    }[order]
    for where in sequence:
        if where == "admin":
            _admin(client, "root", WRONG)
        else:
            _post(client, "/login", {"username": "root", "password": WRONG})

    _, admin_in = _admin(client, "root", ADMIN_PASSWORD)
    api = _post(client, "/login", {"username": "root", "password": ADMIN_PASSWORD})

    assert not admin_in
    assert api.status_code == 429


# --- register_enumeration: taken and free names cost the same work; bounded per address ----


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5_security"
    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_accounts_attacks.CountingHasher"]
    CountingHasher.hashes = 0
    return CountingHasher


@pytest.mark.parametrize(
    ("candidate", "taken"),
    [
        ("dave", True),
        ("DAVE", True),
        ("\uff24\uff41\uff56\uff45", True),
        ("dAvE", True),
        ("stra\u00dfe", True),
        ("STRASSE", True),
        ("erin", False),
        ("stra\u00dfe-2", False),
    ],
)
def test_register_enumeration_hashes_once_taken_or_free(
    client, make_user, limits, counting_hasher, candidate, taken
):
    make_user("dave", password=VICTIM_PASSWORD)
    make_user("strasse", password=VICTIM_PASSWORD)
    counting_hasher.hashes = 0

    response = _post(client, "/register", {"username": candidate, "password": ATTACKER_PASSWORD})

    assert response.status_code == (400 if taken else 201)
    assert counting_hasher.hashes == 1


@pytest.mark.parametrize("names", ["taken", "free"])
def test_register_enumeration_is_bounded_per_address(client, make_user, limits, names):
    make_user("dave", password=VICTIM_PASSWORD)
    candidates = [("DAVE" if names == "taken" else f"probe{n}") for n in range(12)]

    statuses = [
        _post(client, "/register", {"username": name, "password": ATTACKER_PASSWORD}).status_code
        for name in candidates
    ]

    expected = 400 if names == "taken" else 201
    assert statuses == [expected] * 10 + [429, 429]


# --- ipv6_rotation: rotating addresses within one /64 gives no fresh budget ----------------


def _rotation(pattern: str) -> list[str]:
    rng = random.Random(9)
    prefix = "2001:db8:aa:bb"
    return [
        {
            "sequential": f"{prefix}::{n + 1:x}",
            "random-interface-id": ":".join(
                [prefix, *(f"{rng.getrandbits(16):x}" for _ in range(4))]
            ),
            "top-bits": f"{prefix}:{(n + 1) << 8:x}::1",
            "privacy-style": f"{prefix}:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::",
            "spelling": [
                f"{prefix}::1",
                f"{prefix.upper()}:0:0:0:1",
                f"{prefix}:0000:0000:0000:0001",
            ][n % 3],
            "ipv4-mapped": ["::ffff:198.51.100.200", "198.51.100.200", "::ffff:c633:64c8"][n % 3],
        }[pattern]
        for n in range(21)
    ]


IPV6_PATTERNS = [
    "sequential",
    "random-interface-id",
    "top-bits",
    "privacy-style",
    "spelling",
    "ipv4-mapped",
]


@pytest.mark.parametrize("pattern", IPV6_PATTERNS)
def test_ipv6_rotation_against_login(client, make_user, limits, pattern):
    limits.SIGN_UP_ON_FIRST_LOGIN = False
    make_user("dave", password=VICTIM_PASSWORD)
    addresses = _rotation(pattern)

    statuses = [
        _post(
            client, "/login", {"username": f"guess{n}", "password": WRONG}, address=address
        ).status_code
        for n, address in enumerate(addresses)
    ]

    assert statuses == [401] * 20 + [429]


@pytest.mark.parametrize("pattern", ["sequential", "random-interface-id", "ipv4-mapped"])
def test_ipv6_rotation_against_register(client, db, limits, pattern):
    addresses = _rotation(pattern)[:11]

    statuses = [
        _post(
            client,
            "/register",
            {"username": f"probe{n}", "password": ATTACKER_PASSWORD},
            address=address,
        ).status_code
        for n, address in enumerate(addresses)
    ]

    assert statuses == [201] * 10 + [429]
