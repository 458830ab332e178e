"""The database throttles under concurrent requests (threads, each with its own database
connection, as separate Lambda instances would be): exactly the limit gets through, because
each check and its record are one step (accounts/throttles/). PostgreSQL, which serves them
in production; SQLite runs one writing transaction at a time."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from accounts.models import LoginFailure, RegistrationAttempt
from tests.helpers.accounts import GOOD_PASSWORD

ADDRESS = "198.51.100.40"
REQUESTS = 30

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def concurrent_posts(path: str, bodies: list[dict]) -> list:
    """POST each body at once from its own thread, client and database connection."""
    start = threading.Barrier(len(bodies))

    def post(body):
        client = Client()
        start.wait()
        try:
            return client.post(
                path, data=json.dumps(body), content_type="application/json", REMOTE_ADDR=ADDRESS
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_concurrent_registrations_from_one_address_stop_at_the_limit(settings):
    settings.REGISTRATIONS_PER_ADDRESS = 10
    bodies = [{"username": f"racer{n}", "password": GOOD_PASSWORD} for n in range(REQUESTS)]

    responses = concurrent_posts("/register", bodies)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 10 + [429] * (REQUESTS - 10)
    assert all(int(r["Retry-After"]) > 0 for r in responses if r.status_code == 429)
    assert RegistrationAttempt.objects.filter(client_address=ADDRESS).count() == 10


def test_concurrent_wrong_passwords_for_one_username_stop_at_the_limit(make_user, settings):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 1000
    make_user("ann")
    bodies = [{"username": "ann", "password": f"wrong-password-{n}"} for n in range(REQUESTS)]

    responses = concurrent_posts("/login", bodies)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * (REQUESTS - 5)
    assert all(int(r["Retry-After"]) > 0 for r in responses if r.status_code == 429)
    assert LoginFailure.objects.filter(username_key="ann").count() == 5


def test_concurrent_right_passwords_leave_no_failure_behind(make_user, settings):
    """An attempt counts as a failure until its password is found right, then it is taken
    back: a burst of good logins ends with nothing counted."""
    settings.LOGIN_FAILURES_PER_USERNAME = 1000
    make_user("bea")
    bodies = [{"username": "bea", "password": GOOD_PASSWORD}] * 8

    responses = concurrent_posts("/login", bodies)

    assert [response.status_code for response in responses] == [200] * 8
    assert not LoginFailure.objects.exists()
