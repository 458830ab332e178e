"""Attacks on tokens, keys and per-user limits (issue 9, items 5, 6, 10, 11), runnable alone:

    scripts/test tests/security/test_token_attacks.py

Every case sends a token (or a burst of requests) the way an attacker would, at every place
that takes it, and expects a refusal in the JSON error shape, never a 500 and never another
user. Classes (case counts: `pytest --collect-only -q tests/security/test_token_attacks.py`):

- user_id: correctly signed tokens whose `user_id` is not what we mint;
- claim types: correctly signed tokens with other claims of the wrong type or range;
- password change: tokens minted before a password change, by every way of changing it;
- keys: tokens signed with keys that are not (or no longer) ours, during a rotation;
- rate limits: ways around the per-user budgets.
"""

import json
import time
import uuid

import jwt
import pytest
from django.conf import settings as django_settings

from accounts.tokens import token_pair_for_user

PASSWORD = "correct-horse-battery-9"
NEW_PASSWORD = "another-horse-battery-42"
OLD_KEY = "previous-signing-key-" + "p" * 40
UNKNOWN_KEY = "a-key-nobody-configured-" + "u" * 40

# --- helpers -------------------------------------------------------------------------------


def signed(
    claims: dict, *, key: str | None = None, token_type: str = "access", algorithm: str = "HS256"
) -> str:
    """A token with our claims, `claims` changed (a value of `...` removes the claim)."""
    now = int(time.time())
    payload = {
        "token_type": token_type,
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "scope": "items:read items:write pipelines:run browser:use",
        "roles": ["member"],
        "aud": django_settings.SIMPLE_JWT["AUDIENCE"],
        "iss": django_settings.SIMPLE_JWT["ISSUER"],
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not ...}
    return jwt.encode(
        payload, key or django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm
    )


def _json(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# Where an access token is taken, and where a refresh token is.
ACCESS_TOKEN_PLACES = {
    "bearer /private": lambda client, token: client.get("/private", **_bearer(token)),
    "bearer /items": lambda client, token: client.get("/items", **_bearer(token)),
    "bearer /graphql": lambda client, token: _json(
        client,
        "/graphql",
        {"query": "{ items(first: 1) { edges { node { id } } } }"},
        **_bearer(token),
    ),
    "bearer /password": lambda client, token: _json(
        client, "/password", {"old": PASSWORD, "new": NEW_PASSWORD}, **_bearer(token)
    ),
    "/verify": lambda client, token: _json(client, "/verify", {"token": token}),
}
REFRESH_TOKEN_PLACES = {
    "/token/refresh": lambda client, token: _json(client, "/token/refresh", {"refresh": token}),
    "/logout": lambda client, token: _json(client, "/logout", {"refresh": token}),
}


def assert_refused(response):
    assert response.status_code == 401, response.content[:500]
    body = response.json()
    assert body["status"] == "error"
    assert "errors" in body or body["error"]


def assert_accepted(place, response):
    assert response.status_code == 200, response.content[:500]
    if place == "bearer /graphql":
        assert "errors" not in response.json()


@pytest.fixture
def victim(django_user_model):
    """Users 1 and 2, whom `true`, `2.5` and a fullwidth "1" would become (simplejwt and the
    ORM convert them), so that such a token would be let in if the check were missing."""
    from django.core.management.color import no_style
    from django.db import connection

    first = django_user_model.objects.create_user("ann", password=PASSWORD, id=1)
    django_user_model.objects.create_user("bob", password=PASSWORD, id=2)
    with connection.cursor() as cursor:  # later users (the admin) must not collide
        for statement in connection.ops.sequence_reset_sql(no_style(), [django_user_model]):
            cursor.execute(statement)
    return first


# --- class 1: user_id ------------------------------------------------------------------------

BAD_USER_IDS = {
    "abc": "abc",
    "list": [1],
    "true": True,
    "false": False,
    "float 2.5": 2.5,
    "float 1.0": 1.0,
    "fullwidth 1": "\uff11",
    "arabic-indic 1": "\u0661",
    "superscript 1": "\u00b9",
    "leading zero": "01",
    "plus sign": "+1",
    "minus": "-1",
    "spaces": " 1 ",
    "newline": "1\n",
    "exponent": "1e0",
    "hex": "0x1",
    "decimal string": "1.0",
    "zero": 0,
    "negative": -1,
    "past bigint": 2**63,
    "30 digits": "9" * 30,
    "5000 digits": "9" * 5000,
    "object": {"id": 1},
    "null": None,
    "empty": "",
    "absent": ...,
}


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, *REFRESH_TOKEN_PLACES])
@pytest.mark.parametrize("value", BAD_USER_IDS.values(), ids=BAD_USER_IDS.keys())
def test_user_id_attacks_are_401_everywhere(client, victim, place, value):
    token_type = "refresh" if place in REFRESH_TOKEN_PLACES else "access"
    token = signed({"user_id": value}, token_type=token_type)

    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    assert_refused(response)


@pytest.mark.parametrize("place", ACCESS_TOKEN_PLACES)
@pytest.mark.parametrize("form", ["integer", "decimal string"])
def test_user_id_control_what_we_mint_is_accepted(client, victim, place, form):
    """The control for the class above: the same tokens with a proper id work."""
    user_id = victim.pk if form == "integer" else str(victim.pk)

    response = ACCESS_TOKEN_PLACES[place](client, signed({"user_id": user_id}))

    assert_accepted(place, response)


# --- class 2: other claims of the wrong type --------------------------------------------------

BAD_CLAIMS = {
    "gen string": {"gen": "0"},
    "gen true": {"gen": True},
    "gen negative": {"gen": -1},
    "gen float": {"gen": 0.0},
    "gen list": {"gen": [0]},
    "gen null": {"gen": None},
    "gen huge": {"gen": 2**70},
    "jti list": {"jti": [1]},
    "jti number": {"jti": 5},
    "jti absent": {"jti": ...},
    "exp far future": {"exp": 10**20},
    "exp string": {"exp": "soon"},
    "exp float": {"exp": 1e300},
    "iat string": {"iat": "x"},
    "token_type list": {"token_type": ["access"]},
    "token_type absent": {"token_type": ...},
    "aud list": {"aud": ["someone-else"]},
}


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, *REFRESH_TOKEN_PLACES])
@pytest.mark.parametrize("claims", BAD_CLAIMS.values(), ids=BAD_CLAIMS.keys())
def test_claim_type_attacks_are_401_everywhere(client, victim, place, claims):
    token_type = "refresh" if place in REFRESH_TOKEN_PLACES else "access"
    claims = {"user_id": str(victim.pk), **claims}
    if "token_type" in claims and claims["token_type"] is not ...:
        token_type = claims.pop("token_type")
    token = signed(claims, token_type=token_type)

    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    assert_refused(response)


# --- class 3: tokens from before a password change ---------------------------------------


def change_by_model(client, user):
    user.set_password(NEW_PASSWORD)
    user.save()


def change_by_api(client, user):
    fresh = token_pair_for_user(user)
    response = _json(
        client, "/password", {"old": PASSWORD, "new": NEW_PASSWORD}, **_bearer(fresh["token"])
    )
    assert response.status_code == 200


def change_by_admin(client, user):
    from django.contrib.auth import get_user_model
    from django.urls import reverse, set_script_prefix

    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin)
    set_script_prefix("/")  # an earlier Lambda-handler request may have left "/dev/"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    client.logout()
    assert response.status_code == 302


def disable_password_in_admin(client, user):
    user.set_unusable_password()
    user.save()


CHANGES = {
    "model": change_by_model,
    "api": change_by_api,
    "admin form": change_by_admin,
    "unusable password": disable_password_in_admin,
}


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, *REFRESH_TOKEN_PLACES])
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_tokens_from_before_a_password_change_are_refused(client, victim, place, change):
    before = token_pair_for_user(victim)
    token = before["refresh"] if place in REFRESH_TOKEN_PLACES else before["token"]

    change(client, victim)
    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    if place == "/logout":
        # Revoking a revoked token is not an error (a client may retry a logout); the token
        # stays useless, which the refresh place asserts.
        assert response.status_code == 200
        assert _json(client, "/token/refresh", {"refresh": token}).status_code == 401
    else:
        assert_refused(response)


GENERATION_FORGERIES = {
    "previous generation": lambda now: now - 1,
    "next generation": lambda now: now + 1,
    "absent": lambda now: ...,
}


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, "/token/refresh"])
@pytest.mark.parametrize(
    "generation", GENERATION_FORGERIES.values(), ids=GENERATION_FORGERIES.keys()
)
def test_a_signed_token_must_carry_the_current_generation(client, victim, place, generation):
    change_by_model(client, victim)
    assert victim.token_generation == 1
    token_type = "refresh" if place == "/token/refresh" else "access"
    token = signed(
        {"user_id": str(victim.pk), "gen": generation(victim.token_generation)},
        token_type=token_type,
    )

    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    assert_refused(response)


# --- class 4: keys ----------------------------------------------------------------------------


@pytest.fixture
def rotated(settings):
    """A rotation in progress: OLD_KEY is the fallback of the current key."""
    settings.JWT_SIGNING_KEY_FALLBACKS = [OLD_KEY]


KEY_FORGERIES = {
    "unknown key": lambda: {"key": UNKNOWN_KEY},
    "SECRET_KEY": lambda: {"key": django_settings.SECRET_KEY},
    "a SECRET_KEY fallback": lambda: {"key": "django-fallback-" + "f" * 40},
    "fallback key with HS512": lambda: {"key": OLD_KEY, "algorithm": "HS512"},
    "fallback key with HS384": lambda: {"key": OLD_KEY, "algorithm": "HS384"},
    "fallback key, empty suffix": lambda: {"key": OLD_KEY[:-1]},
    "current key with HS512": lambda: {"algorithm": "HS512"},
}


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, *REFRESH_TOKEN_PLACES])
@pytest.mark.parametrize("forgery", KEY_FORGERIES.values(), ids=KEY_FORGERIES.keys())
def test_keys_that_are_not_ours_are_refused_during_a_rotation(
    client, victim, rotated, settings, place, forgery
):
    settings.SECRET_KEY_FALLBACKS = ["django-fallback-" + "f" * 40]
    token_type = "refresh" if place in REFRESH_TOKEN_PLACES else "access"
    token = signed({"user_id": str(victim.pk)}, token_type=token_type, **forgery())

    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    assert_refused(response)


@pytest.mark.parametrize("place", [*ACCESS_TOKEN_PLACES, "/token/refresh"])
def test_a_removed_fallback_key_is_refused(client, victim, settings, place):
    settings.JWT_SIGNING_KEY_FALLBACKS = []
    token_type = "refresh" if place == "/token/refresh" else "access"
    token = signed({"user_id": str(victim.pk)}, key=OLD_KEY, token_type=token_type)

    response = {**ACCESS_TOKEN_PLACES, **REFRESH_TOKEN_PLACES}[place](client, token)

    assert_refused(response)


@pytest.mark.parametrize("place", ACCESS_TOKEN_PLACES)
def test_key_control_the_fallback_key_is_accepted(client, victim, rotated, place):
    response = ACCESS_TOKEN_PLACES[place](client, signed({"user_id": str(victim.pk)}, key=OLD_KEY))

    assert_accepted(place, response)


# --- class 5: around the rate limits ---------------------------------------------------------


def _post_item(client, headers, path="/item", content_type="application/json"):
    return client.post(path, data=json.dumps({"name": "n"}), content_type=content_type, **headers)


def _graphql_batch(client, headers, count):
    aliases = " ".join(
        f'w{number}: updateItem(name: "n{number}") {{ id }}' for number in range(count)
    )
    return _json(client, "/graphql", {"query": f"mutation {{ {aliases} }}"}, **headers)


def _spend_then_try(client, user, attempt):
    """Spend the budget of 2 writes with plain POSTs, then try to get around it."""
    headers = _bearer(token_pair_for_user(user)["token"])
    assert _post_item(client, headers).status_code == 200
    assert _post_item(client, headers).status_code == 200
    return attempt(client, user, headers)


RATE_LIMIT_BYPASSES = {
    "trailing slash": lambda client, user, headers: _post_item(client, headers, "/item/"),
    "text/plain body": lambda client, user, headers: _post_item(
        client, headers, content_type="text/plain"
    ),
    "a fresh login (new token)": lambda client, user, headers: _post_item(
        client,
        _bearer(_json(client, "/login", {"username": "ann", "password": PASSWORD}).json()["token"]),
    ),
    "a refreshed token": lambda client, user, headers: _post_item(
        client,
        _bearer(
            _json(
                client, "/token/refresh", {"refresh": token_pair_for_user(user)["refresh"]}
            ).json()["token"]
        ),
    ),
    "GraphQL instead of REST": lambda client, user, headers: _graphql_batch(client, headers, 1),
    "delete instead of create": lambda client, user, headers: client.delete(
        f"/item/{uuid.uuid4()}", **headers
    ),
    "update instead of create": lambda client, user, headers: client.post(
        f"/item/{uuid.uuid4()}", data="{}", content_type="application/json", **headers
    ),
}


@pytest.mark.parametrize("bypass", RATE_LIMIT_BYPASSES.values(), ids=RATE_LIMIT_BYPASSES.keys())
def test_the_item_budget_holds_whichever_way_is_tried(client, victim, settings, bypass):
    settings.RATE_LIMITS = {"item-writes": "2/minute"}

    response = _spend_then_try(client, victim, bypass)

    if response["Content-Type"].startswith("application/json") and response.status_code == 200:
        error = response.json()["errors"][0]  # GraphQL: 200 with the error
        assert error["extensions"]["code"] == "RATE_LIMITED"
    else:
        assert response.status_code == 429
        assert response.json()["status"] == "error"
        assert int(response["Retry-After"]) >= 1


def test_one_graphql_document_cannot_batch_past_the_budget(client, victim, settings):
    """Aliases run the mutation several times: each counts, and the document stores nothing
    once one of them is refused."""
    from items.models import Item

    settings.RATE_LIMITS = {"item-writes": "3/minute"}

    response = _graphql_batch(client, _bearer(token_pair_for_user(victim)["token"]), 5)

    codes = [error["extensions"].get("code") for error in response.json()["errors"]]
    assert codes == ["RATE_LIMITED", "RATE_LIMITED"]
    assert Item.objects.count() == 0


def test_pipeline_budget_holds_across_pipelines_and_paths(client, victim, settings):
    settings.RATE_LIMITS = {"pipeline-runs": "2/hour"}
    headers = _bearer(token_pair_for_user(victim)["token"])

    answers = [
        client.post(path, data="[]", content_type="application/json", **headers)
        for path in ("/sumArray", "/wordCount/", "/sumArray/", "/wordCount")
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 429, 429]
