"""A warm process survives a rotation of the RDS-managed database password: on an
authentication failure config/db_backend re-reads the secret once (moto's Secrets Manager)
and connects with the new password, against a PostgreSQL of the test's own that checks
passwords (the machine's shared server trusts every local connection)."""

import json
import os
import secrets
import subprocess
import uuid

import psycopg
import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from config.secrets import database_url_from_rds_secret, fetch_stage_secret
from tests.helpers import PROJECT_ROOT
from tests.helpers.private_postgres import private_postgres

ROLE = "handbook_app"
DATABASE = "handbook"


@pytest.fixture(scope="module")
def cluster():
    with private_postgres() as server:
        with psycopg.connect(server.admin_url(), autocommit=True) as admin:
            admin.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD 'first-password'")
            admin.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        yield server


def set_role_password(cluster, password: str) -> None:
    with psycopg.connect(cluster.admin_url(), autocommit=True) as admin:
        admin.execute(
            psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psycopg.sql.Identifier(ROLE), psycopg.sql.Literal(password)
            )
        )


@pytest.fixture
def rds_secret(aws, cluster, monkeypatch, secret_reads):
    """The stage as scripts/deploy configures it: the proxy's host and the ARN of the secret
    RDS manages, whose value rotates."""
    password = secrets.token_urlsafe(16)
    set_role_password(cluster, password)
    client = aws.client("secretsmanager")
    arn = client.create_secret(
        Name=f"rds!db-{uuid.uuid4()}",
        SecretString=json.dumps({"username": ROLE, "password": password}),
    )["ARN"]
    monkeypatch.setenv("DATABASE_SECRET_ARN", arn)
    monkeypatch.setenv("DATABASE_HOST", cluster.host)
    monkeypatch.setenv("DATABASE_PORT", str(cluster.port))
    monkeypatch.setenv("DATABASE_NAME", DATABASE)
    monkeypatch.setenv("DATABASE_URL", "")
    fetch_stage_secret.cache_clear()
    yield client, arn
    fetch_stage_secret.cache_clear()


def rotate_secret(client, arn: str, cluster) -> str:
    """What RDS's rotation does: a new password on the database and in the secret."""
    password = secrets.token_urlsafe(16)
    set_role_password(cluster, password)
    client.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": ROLE, "password": password})
    )
    return password


@pytest.fixture
def stage_connection(rds_secret, django_db_blocker):
    """A connection built as the aws settings build it: DATABASE_URL from the secret at
    cold start, through the project's backend."""
    import environ

    settings_dict = environ.Env.db_url_config(database_url_from_rds_secret())
    settings_dict["ENGINE"] = "config.db_backend"
    handler = ConnectionHandler({"default": settings_dict})  # a handler of its own
    with django_db_blocker.unblock():
        yield handler["default"]
        handler.close_all()


def current_user(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@pytest.fixture
def secret_reads():
    """Counts GetSecretValue calls that reach Secrets Manager (boto3's event hooks on the
    default session, which config.secrets' client comes from)."""
    import boto3

    calls = []
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: calls.append(1)
    )
    yield lambda: len(calls)
    boto3.DEFAULT_SESSION = None


def test_a_new_connection_after_rotation_rereads_the_secret_once(
    rds_secret, stage_connection, cluster, secret_reads
):
    client, arn = rds_secret
    assert current_user(stage_connection) == ROLE
    new_password = rotate_secret(client, arn, cluster)
    # The open connection is authenticated already; the next one (CONN_MAX_AGE ran out)
    # presents the password read at cold start.
    stage_connection.close()
    reads_before = secret_reads()

    assert current_user(stage_connection) == ROLE

    assert secret_reads() == reads_before + 1
    assert stage_connection.settings_dict["PASSWORD"] == new_password
    assert new_password in os.environ["DATABASE_URL"]
    stage_connection.close()
    assert current_user(stage_connection) == ROLE
    assert secret_reads() == reads_before + 1, "a good password must not be re-read"


def test_a_second_refusal_raises_after_one_reread(
    rds_secret, stage_connection, cluster, secret_reads
):
    # The database's password changed but the secret did not (a rotation half done).
    assert current_user(stage_connection) == ROLE
    set_role_password(cluster, secrets.token_urlsafe(16))
    stage_connection.close()
    reads_before = secret_reads()

    with pytest.raises(OperationalError, match="password authentication failed"):
        current_user(stage_connection)

    assert secret_reads() == reads_before + 1


def test_without_a_secret_a_refused_password_fails_at_once(
    rds_secret, stage_connection, cluster, monkeypatch, secret_reads
):
    # A stage given a plain DATABASE_URL (--existing-database) has nothing to re-read.
    assert current_user(stage_connection) == ROLE
    monkeypatch.delenv("DATABASE_SECRET_ARN")
    set_role_password(cluster, secrets.token_urlsafe(16))
    stage_connection.close()
    reads_before = secret_reads()

    with pytest.raises(OperationalError, match="password authentication failed"):
        current_user(stage_connection)

    assert secret_reads() == reads_before


def test_a_database_that_is_down_is_not_mistaken_for_a_rotation(
    rds_secret, stage_connection, secret_reads
):
    from benchmarks.aws_emulator import free_loopback_port

    stage_connection.settings_dict["PORT"] = free_loopback_port()
    reads_before = secret_reads()

    with pytest.raises(OperationalError):
        current_user(stage_connection)

    assert secret_reads() == reads_before


def test_aws_settings_use_the_rotation_aware_backend(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        "SECRETS_SOURCE": "env",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://user:password@127.0.0.1:5432/handbook",
    }
    engine = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv/bin/python"),
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        env=environment,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert engine.stdout.strip() == "config.db_backend"
