"""Overhead of JWT authentication on GET /private (target: median ratio <= 1.3).

Same process, same run: the real /private (JWT checked: signature, audience, issuer, expiry,
user active, password-change generation) against the same view with authentication switched
off, requests interleaved so drift hits both alike; measured through Django's full
middleware stack (test client) and through Zappa's real Lambda handler (API Gateway events,
as on AWS).
Also prints /login timings for an unknown user vs a wrong password (Argon2), which must be
about equal when sign-up on first login is off.

    .venv/bin/python benchmarks/auth_overhead.py          (SQLite in memory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh_auth .venv/bin/python \
        benchmarks/auth_overhead.py
    options: --requests N  --login-rounds N
"""

import argparse
import logging
import os
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database


def _urlconf():
    from django.urls import re_path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.models import TokenUser

    from accounts.apis import PrivateApi
    from accounts.authentication import ProjectJWTAuthentication

    class PrivateWithoutAuthentication(PrivateApi):
        """/private with authentication off: the baseline."""

        authentication_classes = ()
        permission_classes = (AllowAny,)

        def get(self, request):
            return Response({"message": "Hello bench"})

    class TokenOnlyAuthentication(ProjectJWTAuthentication):
        """For comparison only: the token checks without reading the user row (what the
        project does NOT do, since a deactivated user must lose access at once)."""

        def get_user(self, validated_token):
            return TokenUser(validated_token)

    class PrivateTokenOnly(PrivateApi):
        authentication_classes = (TokenOnlyAuthentication,)

    class PrivateStockSimplejwt(PrivateApi):
        """For comparison only: simplejwt's own class, without the project's claim checks
        (user id type, password-change generation). A faster path than the project's
        must beat this one by 10 % to be worth library internals (README)."""

        authentication_classes = (JWTAuthentication,)

    module = types.ModuleType("auth_overhead_urls")
    module.urlpatterns = [
        re_path(r"^private/?$", PrivateApi.as_view()),
        re_path(r"^private-open/?$", PrivateWithoutAuthentication.as_view()),
        re_path(r"^private-token-only/?$", PrivateTokenOnly.as_view()),
        re_path(r"^private-stock/?$", PrivateStockSimplejwt.as_view()),
    ]
    return module


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_private(requests: int) -> tuple[float, float, float, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from accounts.tokens import token_pair_for_user

    user = get_user_model().objects.create_user("bench", password="bench-password-123")  # noqa: S106
    token = token_pair_for_user(user)["token"]
    client = Client()
    with_jwt, without, token_only, stock = [], [], [], []
    with override_settings(ROOT_URLCONF=_urlconf()):
        for _ in range(50):  # warm both paths (imports, connection, caches)
            assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
            assert client.get("/private-open").status_code == 200
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get("/private-token-only", HTTP_AUTHORIZATION=f"Bearer {token}")
            token_only.append(time.perf_counter() - started)
            assert response.status_code == 200
            started = time.perf_counter()
            response = client.get("/private-stock", HTTP_AUTHORIZATION=f"Bearer {token}")
            stock.append(time.perf_counter() - started)
            assert response.status_code == 200
            started = time.perf_counter()
            response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")
            with_jwt.append(time.perf_counter() - started)
            assert response.status_code == 200
            started = time.perf_counter()
            response = client.get("/private-open")
            without.append(time.perf_counter() - started)
            assert response.status_code == 200
    return _median_ms(with_jwt), _median_ms(without), _median_ms(token_only), _median_ms(stock)


def bench_private_through_lambda(requests: int) -> tuple[float, float]:
    """The same comparison through Zappa's real LambdaHandler (API Gateway events in,
    Lambda results out), as on AWS. Connections persist as with CONN_MAX_AGE on Lambda."""
    import tempfile

    from django.contrib.auth import get_user_model
    from django.core import signals
    from django.db import close_old_connections
    from django.test import override_settings

    from accounts.tokens import token_pair_for_user
    from benchmarks.lambda_events import api_gateway_event
    from benchmarks.zappa_lambda import ZappaLambda, write_zappa_settings_module

    user = get_user_model().objects.get_or_create(username="bench")[0]
    token = token_pair_for_user(user)["token"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with tempfile.TemporaryDirectory() as directory, override_settings(ROOT_URLCONF=_urlconf()):
        lambda_ = ZappaLambda(
            write_zappa_settings_module(
                Path(directory), "dev", django_settings=os.environ["DJANGO_SETTINGS_MODULE"]
            )
        )
        private = api_gateway_event("GET", "/private", headers={"Authorization": f"Bearer {token}"})
        baseline = api_gateway_event("GET", "/private-open")
        # Zappa logs each request at INFO; both paths would pay it, the terminal need not.
        logging.getLogger("zappa").setLevel(logging.WARNING)
        with_jwt, without = [], []
        for _ in range(50):
            assert lambda_.invoke(private)["statusCode"] == 200
            assert lambda_.invoke(baseline)["statusCode"] == 200
        for _ in range(requests):
            started = time.perf_counter()
            result = lambda_.invoke(private)
            with_jwt.append(time.perf_counter() - started)
            assert result["statusCode"] == 200
            started = time.perf_counter()
            result = lambda_.invoke(baseline)
            without.append(time.perf_counter() - started)
            assert result["statusCode"] == 200
    return _median_ms(with_jwt), _median_ms(without)


def bench_parts(rounds: int = 3000) -> dict[str, float]:
    """Where the JWT time goes: verifying the token (signature and claims, every request)
    and finding its user (a query, every request)."""
    from django.contrib.auth import get_user_model

    from accounts.authentication import ProjectJWTAuthentication
    from accounts.tokens import ProjectAccessToken, token_pair_for_user

    user = get_user_model().objects.get_or_create(username="bench")[0]
    raw = token_pair_for_user(user)["token"].encode()

    def median_us(call) -> float:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1e6

    authentication = ProjectJWTAuthentication()
    token = ProjectAccessToken(raw)
    return {
        "token verified (simplejwt + PyJWT, fallback keys)": median_us(
            lambda: ProjectAccessToken(raw)
        ),
        "user found and checked (active, generation)": median_us(
            lambda: authentication.get_user(token)
        ),
    }


def bench_login_enumeration(rounds: int) -> tuple[float, float]:
    import json

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    get_user_model().objects.create_user("known", password="known-password-123")  # noqa: S106
    client = Client()
    unknown, wrong = [], []
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"],
        SIGN_UP_ON_FIRST_LOGIN=False,
        LOGIN_FAILURES_PER_USERNAME=0,
        LOGIN_FAILURES_PER_ADDRESS=0,
    ):
        for _ in range(rounds):
            for samples, username in ((unknown, "nobody"), (wrong, "known")):
                body = json.dumps({"username": username, "password": "wrong-password-9"})
                started = time.perf_counter()
                response = client.post("/login", body, content_type="application/json")
                samples.append(time.perf_counter() - started)
                assert response.status_code == 401
    return _median_ms(unknown), _median_ms(wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--login-rounds", type=int, default=15)
    args = parser.parse_args()

    connection = create_benchmark_database()
    print(f"database: {connection.vendor}")

    with_jwt, without, token_only, stock = bench_private(args.requests)
    print("Django test client, full middleware stack:")
    print(f"GET /private  with JWT     median {with_jwt:.3f} ms  ({args.requests} requests)")
    print(f"GET /private  without auth median {without:.3f} ms  (baseline)")
    ratio = with_jwt / without
    print(f"ratio with/without: {ratio:.2f}  (target <= 1.3: {'OK' if ratio <= 1.3 else 'MISSED'})")
    print(
        f"  for comparison, token checks without the user row: median {token_only:.3f} ms, "
        f"ratio {token_only / without:.2f}"
    )
    print(
        f"  for comparison, simplejwt's stock JWTAuthentication: median {stock:.3f} ms; the "
        f"project's class costs {with_jwt / stock:.3f}x that"
    )

    with_jwt, without = bench_private_through_lambda(args.requests)
    print(f"Zappa handler /private with JWT median {with_jwt:.3f} ms")
    print(f"Zappa handler /private without auth median {without:.3f} ms  (baseline)")
    ratio = with_jwt / without
    print(f"ratio with/without: {ratio:.2f}  (target <= 1.3: {'OK' if ratio <= 1.3 else 'MISSED'})")

    for part, micros in bench_parts().items():
        print(f"  part: {part:<50} median {micros:7.1f} us")

    unknown, wrong = bench_login_enumeration(args.login_rounds)
    print(f"POST /login unknown user   median {unknown:.1f} ms  (Argon2, sign-up off)")
    print(f"POST /login wrong password median {wrong:.1f} ms")
    print(f"ratio unknown/wrong: {unknown / wrong:.2f}  (about 1: no enumeration by time)")
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
