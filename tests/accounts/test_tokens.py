"""Tokens: /verify, /token/refresh (rotation), /logout (blacklist), and the attacks each must
refuse, identically for DRF views and for `user_from_bearer` (the GraphQL view's check)."""

import time

import jwt
import pytest
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.authentication import InvalidCredentials, user_from_bearer
from accounts.selectors import request_scopes
from accounts.tokens import token_pair_for_user
from tests.helpers.accounts import tamper_payload, unsigned_token

# --- what a token carries ---------------------------------------------------------------


def test_access_token_carries_scopes_roles_audience_and_issuer(user, settings):
    pair = token_pair_for_user(user)

    claims = jwt.decode(
        pair["token"],
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        audience="serverless-handbook",
        issuer="serverless-handbook",
    )
    assert claims["token_type"] == "access"
    assert claims["user_id"] == str(user.pk)
    assert set(claims["scope"].split()) == {
        "items:read",
        "items:write",
        "pipelines:run",
        "browser:use",
    }
    assert claims["roles"] == ["member"]
    assert claims["exp"] - claims["iat"] <= 15 * 60


def test_tokens_are_not_signed_with_secret_key(user, settings):
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    pair = token_pair_for_user(user)

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            pair["token"], settings.SECRET_KEY, algorithms=["HS256"], audience="serverless-handbook"
        )


# --- /verify ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/verify", "/verify/"])
def test_verify_accepts_a_valid_access_token(post_json, user, path):
    response = post_json(path, {"token": token_pair_for_user(user)["token"]})

    assert response.status_code == 200
    assert response.json() == {"status": "valid"}


def test_verify_refuses_a_refresh_token(post_json, user):
    response = post_json("/verify", {"token": token_pair_for_user(user)["refresh"]})

    assert response.status_code == 401
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("payload", [{}, {"token": 5}, {"token": ["a"]}, "garbage", "[]"])
def test_verify_bad_input_is_400(post_json, db, payload):
    response = post_json("/verify", payload)

    assert response.status_code == 400


# --- the attacks, against a DRF endpoint, /verify and user_from_bearer alike ----------------


def _attack_tokens(user, forge_token, settings):
    good = token_pair_for_user(user)["token"]
    now = int(time.time())
    return {
        "tampered signature": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "tampered payload (other user)": tamper_payload(good, user_id="999999"),
        "tampered payload (more scopes)": tamper_payload(good, scope="admin:all"),
        "alg none": unsigned_token(
            {
                "token_type": "access",
                "user_id": str(user.pk),
                "exp": now + 300,
                "iat": now,
                "jti": "x",
                "aud": "serverless-handbook",
                "iss": "serverless-handbook",
            }
        ),
        "alg none without dot": unsigned_token({"token_type": "access", "user_id": str(user.pk)})[
            :-1
        ],
        "other key": forge_token(user, key="not-the-signing-key-but-long-enough-0123456789"),
        "SECRET_KEY as key": forge_token(user, key=settings.SECRET_KEY),
        "HS512 with the right key": forge_token(user, algorithm="HS512"),
        "wrong audience": forge_token(user, aud="someone-else"),
        "no audience": forge_token(user, aud=None),
        "wrong issuer": forge_token(user, iss="https://evil.example"),
        "no issuer": forge_token(user, iss=None),
        "expired": forge_token(user, exp=now - 60, iat=now - 960),
        "no expiry": forge_token(user, exp=None),
        "refresh token as bearer": token_pair_for_user(user)["refresh"],
        "unknown user": forge_token(user, user_id="999999"),
        "user id out of range": forge_token(user, user_id="9" * 30),
        "user id not a number": forge_token(user, user_id="1 OR 1=1"),
        "not a jwt": "hello",
    }


ATTACKS = [
    "tampered signature",
    "tampered payload (other user)",
    "tampered payload (more scopes)",
    "alg none",
    "alg none without dot",
    "other key",
    "SECRET_KEY as key",
    "HS512 with the right key",
    "wrong audience",
    "no audience",
    "wrong issuer",
    "no issuer",
    "expired",
    "no expiry",
    "refresh token as bearer",
    "unknown user",
    "user id out of range",
    "user id not a number",
    "not a jwt",
]


def test_the_attack_list_is_complete(user, forge_token, settings):
    assert sorted(_attack_tokens(user, forge_token, settings)) == sorted(ATTACKS)


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_tokens_are_refused_everywhere(
    client, post_json, user, forge_token, settings, attack
):
    token = _attack_tokens(user, forge_token, settings)[attack]

    private = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")
    verify = post_json("/verify", {"token": token})
    request = RequestFactory().get("/graphql", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert private.status_code == 401
    assert private.json() == {"status": "error", "error": "This is a private resource"}
    assert verify.status_code == 401
    with pytest.raises(InvalidCredentials):
        user_from_bearer(request)
    # simplejwt's own class never accepts them either (on a signed non-numeric user id it
    # crashes with ValueError, a 500, where ProjectJWTAuthentication answers 401).
    with pytest.raises(AuthenticationFailed if attack != "user id not a number" else ValueError):
        JWTAuthentication().authenticate(Request(request))


def test_forged_tokens_are_accepted_when_well_formed(client, user, forge_token):
    """The forging helper itself makes acceptable tokens: the refusals above are meaningful."""
    token = forge_token(user)

    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert user_from_bearer(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")) == user


def test_deactivated_users_tokens_stop_working_at_once(client, post_json, user):
    pair = token_pair_for_user(user)
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {pair['token']}").status_code == 200

    user.is_active = False
    user.save()

    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {pair['token']}").status_code == 401
    assert post_json("/verify", {"token": pair["token"]}).status_code == 401
    assert post_json("/token/refresh", {"refresh": pair["refresh"]}).status_code == 401
    with pytest.raises(InvalidCredentials):
        user_from_bearer(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {pair['token']}"))


def _refusals_of(client, token) -> dict[str, int]:
    """Status of one authenticated request per surface: /private, a REST item read, GraphQL."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    graphql = client.post(
        "/graphql",
        {"query": "{ items(first: 1) { edges { node { id } } } }"},
        content_type="application/json",
        **auth,
    )
    return {
        "private": client.get("/private", **auth).status_code,
        "items": client.get("/items", **auth).status_code,
        "graphql": graphql.status_code,
    }


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: user.delete(), id="deleted"),
        pytest.param(
            lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False),
            id="deactivated in bulk",
        ),
        pytest.param(
            lambda user: (user.set_password("another-horse-battery-42"), user.save()),
            id="password changed",
        ),
    ],
)
def test_a_token_stops_working_on_the_request_after_its_user_changes(client, user, change):
    """The per-request user read (accounts.authentication.request_user_get) reads the row
    afresh on every request: no cache lets a token outlive its user's deletion,
    deactivation or password change, on any surface."""
    token = token_pair_for_user(user)["token"]
    assert _refusals_of(client, token) == {"private": 200, "items": 200, "graphql": 200}

    change(user)

    assert _refusals_of(client, token) == {"private": 401, "items": 401, "graphql": 401}
    with pytest.raises(InvalidCredentials):
        user_from_bearer(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_the_request_user_is_the_users_row(client, user):
    """What the light per-request read loads is the user itself: its fields, and any other
    field on first use."""
    request = RequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {token_pair_for_user(user)['token']}"
    )

    loaded = user_from_bearer(request)

    assert (loaded.pk, loaded.username, loaded.is_active, loaded.is_superuser) == (
        user.pk,
        user.username,
        True,
        False,
    )
    assert loaded.token_generation == user.token_generation
    assert (loaded.email, loaded.date_joined) == (user.email, user.date_joined)
    assert loaded.check_password("correct-horse-battery-9")


def test_user_from_bearer_without_a_header_is_anonymous_and_keeps_scopes_when_valid(user):
    assert user_from_bearer(RequestFactory().get("/")) is None
    request = RequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {token_pair_for_user(user)['token']}"
    )

    assert user_from_bearer(request) == user
    assert request_scopes(request) == {"items:read", "items:write", "pipelines:run", "browser:use"}
    assert request.auth["user_id"] == str(user.pk)


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer  "])
def test_malformed_authorization_headers(client, user, header):
    response = client.get("/private", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


# --- /token/refresh and /logout ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/token/refresh", "/token/refresh/"])
def test_refresh_rotates_and_the_old_refresh_token_is_spent(client, post_json, user, path):
    pair = token_pair_for_user(user)

    rotated = post_json(path, {"refresh": pair["refresh"]})
    reused = post_json(path, {"refresh": pair["refresh"]})

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"token", "refresh"}
    assert rotated.json()["refresh"] != pair["refresh"]
    new_access = rotated.json()["token"]
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {new_access}").json() == {
        "message": "Hello ann"
    }
    assert reused.status_code == 401
    assert post_json(path, {"refresh": rotated.json()["refresh"]}).status_code == 200


def test_refresh_reads_the_users_roles_afresh(post_json, user, settings):
    pair = token_pair_for_user(user)
    user.groups.clear()

    rotated = post_json("/token/refresh", {"refresh": pair["refresh"]})

    claims = jwt.decode(
        rotated.json()["token"],
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        audience="serverless-handbook",
    )
    assert claims["scope"] == ""
    assert claims["roles"] == []


def test_refresh_refuses_an_access_token_and_forgeries(post_json, user, forge_token):
    pair = token_pair_for_user(user)

    assert post_json("/token/refresh", {"refresh": pair["token"]}).status_code == 401
    forged = forge_token(user, token_type="refresh", aud="someone-else")
    assert post_json("/token/refresh", {"refresh": forged}).status_code == 401
    assert (
        post_json(
            "/token/refresh", {"refresh": tamper_payload(pair["refresh"], user_id="999")}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("payload", [{}, {"refresh": 1}, "nope"])
def test_refresh_and_logout_bad_input_is_400(post_json, db, payload):
    assert post_json("/token/refresh", payload).status_code == 400
    assert post_json("/logout", payload).status_code == 400


@pytest.mark.parametrize("path", ["/logout", "/logout/"])
def test_logout_revokes_the_refresh_token(post_json, user, path):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    pair = token_pair_for_user(user)

    response = post_json(path, {"refresh": pair["refresh"]})
    again = post_json(path, {"refresh": pair["refresh"]})

    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert again.status_code == 200  # a retried logout is not an error
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert post_json("/token/refresh", {"refresh": pair["refresh"]}).status_code == 401


def test_logout_refuses_tokens_it_did_not_issue(post_json, user, forge_token):
    assert (
        post_json(
            "/logout", {"refresh": forge_token(user, token_type="refresh", key="x" * 40)}
        ).status_code
        == 401
    )
    assert post_json("/logout", {"refresh": token_pair_for_user(user)["token"]}).status_code == 401


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_yield_one_new_pair(make_user):
    """Two instances spending the same refresh token at once: exactly one wins."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from accounts.tokens import TokenRejected, refresh_token_rotate

    pair = token_pair_for_user(make_user("ann"))

    def spend(_):
        try:
            return refresh_token_rotate(raw_refresh=pair["refresh"])
        except TokenRejected:
            return None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(spend, range(6)))

    assert len([result for result in results if result is not None]) == 1


# --- tokens verified once per process (accounts.jwt_keys) ---------------------------------


def test_a_token_already_verified_still_expires(client, user, forge_token, settings):
    """A process keeps the payloads of tokens it verified; `exp` is checked again each time."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": 0}
    token = forge_token(user, exp=int(time.time()) + 2)
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    time.sleep(2.1)

    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    with pytest.raises(InvalidCredentials):
        user_from_bearer(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_kept_payload_is_never_shared_with_a_caller(user):
    """Callers get their own copy: a claim set on one decoded token (as rotation does) is
    not in the next decoding of the same bytes."""
    from accounts.jwt_keys import project_token_backend

    raw = token_pair_for_user(user)["token"]
    first = project_token_backend().decode(raw)
    first["roles"].append("admin")
    first["user_id"] = "2"

    again = project_token_backend().decode(raw)

    assert again["roles"] == ["member"]
    assert again["user_id"] == str(user.pk)


def test_a_token_verified_under_one_key_set_is_checked_again_under_another(client, user, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": OLD_KEY}
    token = token_pair_for_user(user)["token"]
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": NEW_KEY}

    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


# --- signing keys: rotation with fallbacks, and check --deploy ------------------------------

OLD_KEY = "old-signing-key-" + "o" * 40
NEW_KEY = "new-signing-key-" + "n" * 40


@pytest.fixture
def signed_with_old_key(settings, user):
    """A token pair minted before a rotation, then the rotation: NEW_KEY signs, OLD_KEY is
    the fallback."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": OLD_KEY}
    pair = token_pair_for_user(user)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": NEW_KEY}
    settings.JWT_SIGNING_KEY_FALLBACKS = [OLD_KEY]
    return pair


def _key_of(token: str) -> str:
    for key in (OLD_KEY, NEW_KEY):
        try:
            jwt.decode(token, key, algorithms=["HS256"], audience="serverless-handbook")
            return key
        except jwt.InvalidSignatureError:
            continue
    return "unknown"


def test_tokens_signed_with_a_fallback_key_are_accepted_everywhere(
    client, post_json, signed_with_old_key
):
    pair = signed_with_old_key

    private = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {pair['token']}")
    verify = post_json("/verify", {"token": pair["token"]})
    rotated = post_json("/token/refresh", {"refresh": pair["refresh"]})
    logout = post_json("/logout", {"refresh": rotated.json()["refresh"]})

    assert private.status_code == 200
    assert verify.status_code == 200
    assert rotated.status_code == 200
    assert _key_of(rotated.json()["token"]) == NEW_KEY  # new tokens: the current key only
    assert _key_of(rotated.json()["refresh"]) == NEW_KEY
    assert logout.status_code == 200


def test_new_tokens_are_signed_with_the_current_key(signed_with_old_key, user):
    pair = token_pair_for_user(user)

    assert _key_of(pair["token"]) == NEW_KEY
    assert _key_of(pair["refresh"]) == NEW_KEY


def test_once_the_fallback_is_removed_its_tokens_are_refused(
    client, post_json, settings, signed_with_old_key
):
    pair = signed_with_old_key
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {pair['token']}").status_code == 200

    settings.JWT_SIGNING_KEY_FALLBACKS = []

    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {pair['token']}").status_code == 401
    assert post_json("/verify", {"token": pair["token"]}).status_code == 401
    assert post_json("/token/refresh", {"refresh": pair["refresh"]}).status_code == 401
    assert post_json("/logout", {"refresh": pair["refresh"]}).status_code == 401


def test_fallbacks_accept_no_other_key(client, post_json, forge_token, user, signed_with_old_key):
    forged = forge_token(user, key="a-third-key-nobody-configured-" + "x" * 30)
    expired_old = forge_token(
        user, key=OLD_KEY, exp=int(time.time()) - 60, iat=int(time.time()) - 960
    )

    for token in (forged, expired_old):
        assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
        assert post_json("/verify", {"token": token}).status_code == 401


@pytest.mark.parametrize(
    "signing_key, fallbacks, expected",
    [
        ("k" * 32, [], []),
        ("k" * 31, [], ["accounts.E001"]),
        ("é" * 16, [], []),  # 32 bytes in UTF-8
        ("x", [], ["accounts.E001"]),
        ("", [], ["accounts.E001"]),
        ("k" * 50, ["o" * 50, "short"], ["accounts.E002"]),
        ("SAME" * 10, [], ["accounts.E003"]),
    ],
)
def test_the_deploy_check_on_jwt_keys(settings, signing_key, fallbacks, expected):
    from accounts.deploy_checks import jwt_signing_keys_are_strong

    settings.SECRET_KEY = "SAME" * 10
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": signing_key}
    settings.JWT_SIGNING_KEY_FALLBACKS = fallbacks

    assert [error.id for error in jwt_signing_keys_are_strong()] == expected


def test_check_deploy_fails_a_one_byte_jwt_key_and_reads_the_fallbacks(tmp_path):
    """The aws settings as a stage runs them: keys and fallbacks come from the environment."""
    import os
    import secrets
    import subprocess
    import sys

    from tests.helpers import PROJECT_ROOT

    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SECRETS_SOURCE": "env",
        "STAGE": "prod",
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECRET_KEY_FALLBACKS": "weak",
        "JWT_SIGNING_KEY": "x",
        "JWT_SIGNING_KEY_FALLBACKS": f"{secrets.token_urlsafe(50)},short",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ALLOWED_HOSTS": ".execute-api.us-east-1.amazonaws.com",
    }

    process = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert "(accounts.E001) JWT_SIGNING_KEY is 1 bytes" in output
    assert "(accounts.E002) JWT_SIGNING_KEY_FALLBACKS entry 2 is 5 bytes" in output
    assert "security.W025" in output  # Django's own check sees SECRET_KEY_FALLBACKS
