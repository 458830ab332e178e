"""Fixtures every area of the suite shares: the AWS emulator, Zappa's Lambda handler, users
and their headers, a /graphql caller, and the rules for what may be skipped."""

import json
import os
from pathlib import Path

import pytest

from benchmarks.aws_emulator import start_moto_server
from benchmarks.zappa_lambda import ZappaLambda, reset_lambda_handler, write_zappa_settings_module

# No test may reach real AWS: without the emulator fixture, boto3 fails fast on a closed port.
os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


# --- what may be skipped -------------------------------------------------------------


def rabbitmq_answers() -> bool:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    try:
        socket.create_connection((url.hostname, url.port or 5672), timeout=1).close()
    except OSError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    missing = {}
    if connection.vendor != "postgresql":
        missing["postgres_only"] = "needs PostgreSQL; DATABASE_URL is SQLite"
    if any(item.get_closest_marker("needs_rabbitmq") for item in items) and not rabbitmq_answers():
        missing["needs_rabbitmq"] = "needs RabbitMQ; TEST_AMQP_URL does not answer"
    left_out = []
    for item in items:
        reasons = [reason for marker, reason in missing.items() if item.get_closest_marker(marker)]
        if reasons:
            why = "; ".join(reasons)
            item.add_marker(pytest.mark.skip(reason=f"{why} (under CI=true a skip fails)"))
            left_out.append(f"{item.nodeid}  ({'; '.join(reasons)})")
    config.stash[LEFT_OUT_KEY] = left_out


LEFT_OUT_KEY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    left_out = config.stash.get(LEFT_OUT_KEY, [])
    if left_out:
        terminalreporter.section(
            "LEFT OUT: tests whose service is not here", sep="!", red=True, bold=True
        )
        for nodeid in left_out:
            terminalreporter.write_line(f"  not run: {nodeid}", red=True)
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped and os.environ.get("CI") == "true":
        terminalreporter.section("CI=true: skipped tests fail the run", sep="!", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and os.environ.get("CI") == "true" and session.exitstatus == 0:
        session.exitstatus = 1


# --- AWS emulator ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def aws():
    """moto's server on a free loopback port; every boto3 client in the run points at it."""
    server, emulator = start_moto_server()
    saved = {key: os.environ.get(key) for key in emulator.environment()}
    os.environ.update(emulator.environment())
    yield emulator
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


# --- Zappa's Lambda handler ------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT, as scripts/package does before zipping.

    For every test: pages that link static files (the admin, GraphiQL) need the manifest.
    """
    from django.core.management import call_command
    from django.test import override_settings

    static_root = tmp_path_factory.mktemp("staticfiles")
    override = override_settings(STATIC_ROOT=static_root)
    override.enable()
    call_command("collectstatic", interactive=False, verbosity=0)
    yield static_root
    override.disable()


@pytest.fixture(scope="session")
def zappa_settings_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("zappa_settings")


@pytest.fixture
def lambda_for_stage(collected_static, zappa_settings_dir):
    """Factory: `lambda_for_stage("dev")` is a cold Lambda container of that stage, built by
    Zappa's own LambdaHandler from zappa_settings.json, serving the test database."""
    from django.core import signals
    from django.db import close_old_connections

    saved_environ = dict(os.environ)
    # Like Django's test client: the test's transaction must survive the request's end.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def build(stage: str = "dev", **overrides) -> ZappaLambda:
        module = write_zappa_settings_module(
            zappa_settings_dir,
            stage,
            django_settings=os.environ["DJANGO_SETTINGS_MODULE"],
            overrides=overrides,
        )
        return ZappaLambda(module)

    yield build
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    reset_lambda_handler()
    os.environ.clear()
    os.environ.update(saved_environ)


@pytest.fixture
def dev_lambda(lambda_for_stage) -> ZappaLambda:
    return lambda_for_stage("dev")


# --- users and tokens ------------------------------------------------------------------


@pytest.fixture
def make_user(db, django_user_model):
    """Factory: `make_user("ann")` creates an active user with a known password."""

    def make(username: str = "ann", password: str = "correct-horse-battery-9", **fields):
        return django_user_model.objects.create_user(username=username, password=password, **fields)

    return make


@pytest.fixture
def user(make_user):
    return make_user("ann")


@pytest.fixture
def bearer_headers():
    """Factory: `bearer_headers(user)` is the Authorization header of a fresh access token."""
    from accounts.tokens import token_pair_for_user

    def headers(for_user) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_pair_for_user(for_user)['token']}"}

    return headers


@pytest.fixture
def auth_headers(user, bearer_headers) -> dict[str, str]:
    return bearer_headers(user)


# --- WSGI apps driven in process (schemathesis) ------------------------------------------


@pytest.fixture
def wsgi_requests_share_the_test_transaction():
    """Like Django's test client: a request's end must not close the test's connection (for
    tests that call the WSGI app directly, as schemathesis's from_wsgi does)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def graphql(client):
    """Factory: `graphql(query, variables=None, headers=None)` POSTs to /graphql."""

    def run(query: str, variables: dict | None = None, headers: dict | None = None):
        payload = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        return client.post(
            "/graphql",
            data=json.dumps(payload),
            content_type="application/json",
            headers=headers or {},
        )

    return run
