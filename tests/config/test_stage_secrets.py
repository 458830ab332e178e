"""Stage secrets come from AWS Secrets Manager (moto's server over HTTP) at cold start."""

import json
import os
import secrets
import subprocess
import sys
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from benchmarks.lambda_events import api_gateway_event
from benchmarks.zappa_settings import zappa_settings_text
from config.secrets import fetch_stage_secret, load_stage_secrets
from tests.helpers import PROJECT_ROOT


def zappa_stage_environment(stage: str) -> dict[str, str]:
    namespace: dict = {}
    exec(zappa_settings_text(stage), namespace)  # noqa: S102 - Zappa's own generated settings
    return namespace["ENVIRONMENT_VARIABLES"]


@pytest.fixture
def secrets_prefix(monkeypatch):
    prefix = f"handbook-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SECRETS_PREFIX", prefix)
    monkeypatch.setenv("SECRETS_SOURCE", "aws")
    fetch_stage_secret.cache_clear()
    yield prefix
    fetch_stage_secret.cache_clear()


@pytest.fixture
def clean_required_environ(monkeypatch):
    for name in (
        "SECRET_KEY",
        "JWT_SIGNING_KEY",
        "DATABASE_URL",
        "EXTRA_SETTING",
        "DATABASE_SECRET_ARN",
        "DATABASE_HOST",
    ):
        monkeypatch.delenv(name, raising=False)


def stage_secret_values(**extra) -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "sqlite:///:memory:",
        **extra,
    }


def test_secret_values_land_in_the_environment(aws, secrets_prefix, clean_required_environ):
    values = stage_secret_values(EXTRA_SETTING="from-secrets-manager")
    aws.client("secretsmanager").create_secret(
        Name=f"{secrets_prefix}/dev", SecretString=json.dumps(values)
    )

    load_stage_secrets("dev")

    assert os.environ["SECRET_KEY"] == values["SECRET_KEY"]
    assert os.environ["EXTRA_SETTING"] == "from-secrets-manager"


def test_secret_is_read_once_per_process(aws, secrets_prefix, clean_required_environ):
    client = aws.client("secretsmanager")
    client.create_secret(
        Name=f"{secrets_prefix}/dev", SecretString=json.dumps(stage_secret_values())
    )
    load_stage_secrets("dev")
    # Gone from Secrets Manager: a warm process must not need it again.
    client.delete_secret(SecretId=f"{secrets_prefix}/dev", ForceDeleteWithoutRecovery=True)

    load_stage_secrets("dev")

    assert fetch_stage_secret.cache_info().hits == 1


def test_missing_secret_stops_start_up_naming_it(aws, secrets_prefix, clean_required_environ):
    with pytest.raises(ImproperlyConfigured, match=f"'{secrets_prefix}/staging'"):
        load_stage_secrets("staging")


def test_missing_required_value_names_it(aws, secrets_prefix, clean_required_environ):
    values = stage_secret_values()
    del values["JWT_SIGNING_KEY"]
    aws.client("secretsmanager").create_secret(
        Name=f"{secrets_prefix}/dev", SecretString=json.dumps(values)
    )

    with pytest.raises(ImproperlyConfigured, match="JWT_SIGNING_KEY"):
        load_stage_secrets("dev")


def test_secret_that_is_not_a_json_object_is_refused(aws, secrets_prefix, clean_required_environ):
    aws.client("secretsmanager").create_secret(
        Name=f"{secrets_prefix}/dev", SecretString="not json"
    )

    with pytest.raises(ImproperlyConfigured, match="not a JSON object"):
        load_stage_secrets("dev")


# --- a real cold start: a fresh process, Zappa's handler, config.django.aws ---------------


def cold_lambda_process(aws, prefix: str, event: dict, tmp_path) -> subprocess.CompletedProcess:
    """Only what Lambda would have: Zappa's settings module, AWS credentials, no app secrets."""
    stage_environment = {**zappa_stage_environment("dev"), "SECRETS_PREFIX": prefix}
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
        **aws.environment(),
        "ZAPPA_STAGE_OVERRIDES": json.dumps({"environment_variables": stage_environment}),
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.zappa_lambda",
            "dev",
            "config.django.aws",
            json.dumps(event),
        ],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cold_start_reads_the_stage_secret_and_serves(aws, secrets_prefix, tmp_path):
    values = stage_secret_values(DATABASE_URL=f"sqlite:///{tmp_path / 'lambda.sqlite3'}")
    aws.client("secretsmanager").create_secret(
        Name=f"{secrets_prefix}/dev", SecretString=json.dumps(values)
    )

    process = cold_lambda_process(
        aws, secrets_prefix, api_gateway_event("GET", "/health"), tmp_path
    )

    assert process.returncode == 0, process.stderr
    response = json.loads(process.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert {key: body[key] for key in ("status", "database", "stage")} == {
        "status": "ok",
        "database": "ok",
        "stage": "dev",
    }
    assert body["migrations"].endswith("unapplied")  # a fresh database: reported, not fatal


def test_cold_start_without_the_secret_fails_naming_it(aws, secrets_prefix, tmp_path):
    process = cold_lambda_process(aws, secrets_prefix, api_gateway_event("GET", "/hello"), tmp_path)

    assert process.returncode != 0
    assert f"{secrets_prefix}/dev" in process.stderr


def test_database_url_is_built_from_the_rds_managed_secret(
    aws, secrets_prefix, clean_required_environ, monkeypatch
):
    # Given the stage secret without DATABASE_URL, and the RDS-managed master-user secret
    client = aws.client("secretsmanager")
    values = stage_secret_values()
    del values["DATABASE_URL"]
    client.create_secret(Name=f"{secrets_prefix}/dev", SecretString=json.dumps(values))
    arn = client.create_secret(
        Name=f"rds!db-{secrets_prefix}",
        SecretString=json.dumps({"username": "handbook", "password": "p@ss/w:rd?"}),
    )["ARN"]
    monkeypatch.setenv("DATABASE_SECRET_ARN", arn)
    monkeypatch.setenv(
        "DATABASE_HOST", "serverless-handbook-dev.proxy-abc.us-east-1.rds.amazonaws.com"
    )

    load_stage_secrets("dev")

    assert os.environ["DATABASE_URL"] == (
        "postgres://handbook:p%40ss%2Fw%3Ard%3F@serverless-handbook-dev.proxy-abc.us-east-1"
        ".rds.amazonaws.com:5432/handbook?sslmode=require"
    )
    import environ

    parsed = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    assert (parsed["USER"], parsed["PASSWORD"], parsed["NAME"]) == (
        "handbook",
        "p@ss/w:rd?",
        "handbook",
    )
