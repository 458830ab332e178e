"""Brute force: failed logins counted per username and per client address, in the database
every instance shares, → 429 with Retry-After."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import LoginFailure
from benchmarks.lambda_events import api_gateway_event
from tests.helpers import PROJECT_ROOT
from tests.helpers.accounts import GOOD_PASSWORD

WRONG = "not-the-password-1"


@pytest.fixture
def limits(settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600
    return settings


def _login(post_json, username, password, address="198.51.100.7"):
    return post_json("/login", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failures_for_one_username_lead_to_429_with_retry_after(post_json, user, limits):
    failures = [_login(post_json, "ann", WRONG, address=f"198.51.100.{n}") for n in range(3)]

    locked = _login(post_json, "ann", GOOD_PASSWORD, address="198.51.100.99")

    assert [response.status_code for response in failures] == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["status"] == "error"
    assert "Too many failed login attempts" in locked.json()["error"]
    assert 590 <= int(locked["Retry-After"]) <= 600


def test_the_username_counter_ignores_case(post_json, user, limits):
    for name in ("ann", "ANN", "Ann"):
        _login(post_json, name, WRONG)

    assert _login(post_json, "aNn", WRONG).status_code == 429


def test_failures_from_one_address_lead_to_429_whatever_the_username(post_json, user, limits):
    for n in range(5):
        assert _login(post_json, f"guess{n}", WRONG).status_code == 401

    from_that_address = _login(post_json, "ann", GOOD_PASSWORD)
    from_elsewhere = _login(post_json, "ann", GOOD_PASSWORD, address="192.0.2.1")

    assert from_that_address.status_code == 429
    assert from_elsewhere.status_code == 200


def test_a_throttled_attempt_is_not_checked_and_not_counted(post_json, user, limits):
    for _ in range(3):
        _login(post_json, "ann", WRONG)

    _login(post_json, "ann", WRONG)
    _login(post_json, "ann", GOOD_PASSWORD)

    assert LoginFailure.objects.filter(username_key="ann").count() == 3


def test_success_clears_the_usernames_failures_but_not_the_addresss(post_json, user, limits):
    _login(post_json, "ann", WRONG)
    _login(post_json, "ann", WRONG)

    assert _login(post_json, "ann", GOOD_PASSWORD).status_code == 200

    assert not LoginFailure.objects.filter(username_key="ann").exists()
    assert _login(post_json, "ann", WRONG).status_code == 401
    assert _login(post_json, "ann", WRONG).status_code == 401
    assert LoginFailure.objects.filter(client_address="198.51.100.7").count() == 2


def test_failures_older_than_the_window_do_not_count_and_are_pruned(post_json, user, limits):
    long_ago = timezone.now() - timedelta(seconds=601)
    LoginFailure.objects.bulk_create(
        [
            LoginFailure(username_key="ann", client_address="198.51.100.7", failed_at=long_ago)
            for _ in range(10)
        ]
    )

    assert _login(post_json, "ann", WRONG).status_code == 401
    assert LoginFailure.objects.count() == 1


def test_retry_after_counts_from_the_oldest_failure_that_holds_the_limit(post_json, user, limits):
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [
            LoginFailure(
                username_key="ann", client_address=None, failed_at=now - timedelta(seconds=s)
            )
            for s in (500, 100, 50)
        ]
    )

    locked = _login(post_json, "ann", GOOD_PASSWORD)

    assert locked.status_code == 429
    assert 95 <= int(locked["Retry-After"]) <= 101


def test_ipv6_clients_are_counted_by_their_64(post_json, user, limits):
    """Rotating through the 2^64 addresses of one /64 gives no fresh tries."""
    for n in range(5):
        assert (
            _login(post_json, f"guess{n}", WRONG, address=f"2001:db8:7:7::{n + 1:x}").status_code
            == 401
        )

    same_64 = _login(post_json, "ann", GOOD_PASSWORD, address="2001:db8:7:7:abcd::99")
    next_64 = _login(post_json, "ann", GOOD_PASSWORD, address="2001:db8:7:8::1")

    assert same_64.status_code == 429
    assert next_64.status_code == 200
    assert set(LoginFailure.objects.values_list("client_address", flat=True)) == {"2001:db8:7:7::"}


def test_an_ipv4_mapped_ipv6_address_counts_as_the_ipv4_address(post_json, user, limits):
    for n in range(5):
        address = "::ffff:198.51.100.20" if n % 2 else "198.51.100.20"
        _login(post_json, f"guess{n}", WRONG, address=address)

    assert _login(post_json, "ann", GOOD_PASSWORD, address="198.51.100.20").status_code == 429


def test_unknown_usernames_count_as_failures(post_json, db, limits):
    for _ in range(3):
        assert _login(post_json, "nobody", WRONG, address="192.0.2.50").status_code == 401

    assert _login(post_json, "nobody", WRONG, address="192.0.2.51").status_code == 429


@pytest.mark.django_db
def test_a_spoofed_x_forwarded_for_does_not_escape_the_address_limit(dev_lambda, user, limits):
    """Zappa copies X-Forwarded-For into REMOTE_ADDR; API Gateway's sourceIp is what counts."""

    def attempt(username, spoofed):
        return dev_lambda.http(
            api_gateway_event(
                "POST",
                "/login",
                json_body={"username": username, "password": WRONG},
                source_ip="203.0.113.66",
                headers={"X-Forwarded-For": spoofed},
            )
        )

    statuses = [attempt(f"guess{n}", f"10.0.0.{n}").status_code for n in range(5)]
    blocked = attempt("ann", "10.9.9.9, 203.0.113.66")

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert blocked.header("Retry-After")
    assert set(LoginFailure.objects.values_list("client_address", flat=True)) == {"203.0.113.66"}


@pytest.mark.django_db
def test_different_callers_behind_api_gateway_are_counted_apart(dev_lambda, user, limits):
    def attempt(source_ip):
        return dev_lambda.http(
            api_gateway_event(
                "POST",
                "/login",
                json_body={"username": f"x{source_ip}", "password": WRONG},
                source_ip=source_ip,
            )
        )

    for _ in range(5):
        attempt("203.0.113.1")

    assert attempt("203.0.113.1").status_code == 429
    assert attempt("203.0.113.2").status_code == 401


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_failures_are_shared_with_another_lambda_instance(make_user, settings):
    """Failures made here lock the username in a separate cold process (another 'instance')."""
    from django.db import connection

    settings.SIGN_UP_ON_FIRST_LOGIN = False
    make_user("ann")
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [
            LoginFailure(username_key="ann", client_address="192.0.2.9", failed_at=now)
            for _ in range(5)
        ]
    )  # the default per-username limit
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "SIGN_UP_ON_FIRST_LOGIN": "false",
    }
    event = api_gateway_event(
        "POST", "/login", json_body={"username": "ann", "password": GOOD_PASSWORD}
    )

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.zappa_lambda",
            "dev",
            "config.django.test",
            json.dumps(event),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 429, answer
    assert json.loads(answer["body"])["status"] == "error"
