"""Stage secrets from AWS Secrets Manager, loaded into os.environ at cold start.

A stage's secret is one JSON object (`{"SECRET_KEY": "...", "DATABASE_URL": "...", ...}`)
named `<SECRETS_PREFIX>/<stage>`. It is read once per process (a warm Lambda keeps it) and
before settings are evaluated, so settings read secrets exactly like any other variable.
"""

import json
import os
from functools import cache
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

DEFAULT_PREFIX = "serverless-handbook"


class StageConfigurationError(ImproperlyConfigured):
    """A stage cannot start: what is missing is in the message, meant to be printed alone
    (manage.py prints one line instead of a traceback)."""


# Without these a stage cannot start safely; each must come from the secret or the environment.
REQUIRED_SECRETS = ("SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL")


def secret_name_for_stage(stage: str) -> str:
    return f"{os.environ.get('SECRETS_PREFIX', DEFAULT_PREFIX)}/{stage}"


@cache
def fetch_stage_secret(secret_name: str) -> dict[str, str]:
    """Read and decode the JSON secret; memoized for the life of the process."""
    # boto3 costs ~100 ms to import: only a process that reads secrets pays for it.
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        client = boto3.client("secretsmanager")
        response = client.get_secret_value(SecretId=secret_name)
    except NoRegionError as exc:
        raise StageConfigurationError(
            f"No AWS region to read secret '{secret_name}' from: set AWS_DEFAULT_REGION "
            f"(Lambda sets it), or SECRETS_SOURCE=env to take secrets from the environment."
        ) from exc
    except NoCredentialsError as exc:
        raise StageConfigurationError(
            f"No AWS credentials to read secret '{secret_name}': set AWS_PROFILE or "
            f"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (Lambda uses its role), or "
            f"SECRETS_SOURCE=env."
        ) from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise StageConfigurationError(
            f"Cannot read secret '{secret_name}' from AWS Secrets Manager ({code}). "
            f"Create it with scripts/secrets put <stage> or set SECRETS_SOURCE=env."
        ) from exc
    except BotoCoreError as exc:
        raise StageConfigurationError(
            f"Cannot reach AWS Secrets Manager to read secret '{secret_name}': {exc}"
        ) from exc
    try:
        values = json.loads(response.get("SecretString") or "")
    except json.JSONDecodeError as exc:
        raise StageConfigurationError(f"Secret '{secret_name}' is not a JSON object") from exc
    if not isinstance(values, dict):
        raise StageConfigurationError(f"Secret '{secret_name}' is not a JSON object")
    return {str(key): str(value) for key, value in values.items()}


def load_stage_secrets(stage: str) -> None:
    """Put the stage's secrets into os.environ and fail start-up naming any missing one.

    SECRETS_SOURCE=env skips Secrets Manager (e.g. a worker host whose secrets come from
    its own environment); the required names are checked either way.
    """
    source = os.environ.get("SECRETS_SOURCE", "aws")
    secret_name = secret_name_for_stage(stage)
    if source == "aws":
        for key, value in fetch_stage_secret(secret_name).items():
            os.environ.setdefault(key, value)
    elif source != "env":
        raise StageConfigurationError(f"SECRETS_SOURCE must be 'aws' or 'env', not '{source}'")
    if not os.environ.get("DATABASE_URL") and os.environ.get("DATABASE_SECRET_ARN"):
        os.environ["DATABASE_URL"] = database_url_from_rds_secret()
    missing = [name for name in REQUIRED_SECRETS if not os.environ.get(name)]
    if missing:
        where = f"secret '{secret_name}'" if source == "aws" else "the environment"
        raise StageConfigurationError(
            f"Required secret(s) {', '.join(missing)} missing from {where} for stage '{stage}'"
        )


def database_url_from_rds_secret() -> str:
    """DATABASE_URL for the stack's database (infra/, scripts/deploy): the host (RDS Proxy)
    and the ARN of the master-user secret RDS manages come from the stage's environment; the
    credentials from that secret, read once per process like the stage secret. RDS rotates
    it (every 7 days by default): a new process reads the new password, a warm one re-reads
    it when the database refuses the old one (refresh_database_secret)."""
    host = os.environ.get("DATABASE_HOST")
    if not host:
        raise StageConfigurationError("DATABASE_SECRET_ARN is set but DATABASE_HOST is not")
    return database_url(*database_credentials(), host)


def database_credentials() -> tuple[str, str]:
    credentials = fetch_stage_secret(os.environ["DATABASE_SECRET_ARN"])
    try:
        return credentials["username"], credentials["password"]
    except KeyError as exc:
        raise StageConfigurationError(
            f"The database secret has no {exc.args[0]} (an RDS-managed secret has both)"
        ) from None


def database_url(user: str, password: str, host: str) -> str:
    port = os.environ.get("DATABASE_PORT", "5432")
    name = os.environ.get("DATABASE_NAME", "handbook")
    return (
        f"postgres://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/"
        f"{quote(name, safe='')}?sslmode=require"
    )


def refresh_database_secret() -> tuple[str, str]:
    """Re-read the RDS-managed secret past the memo, because the database refused the
    password this process holds (config/db_backend retries once with the result).
    DATABASE_URL follows, for anything that reads it later in this process."""
    # cache_clear forgets the stage secret too: harmless, only load_stage_secrets reads it,
    # once at start-up, and its values are in os.environ already.
    fetch_stage_secret.cache_clear()
    user, password = database_credentials()
    if host := os.environ.get("DATABASE_HOST"):
        os.environ["DATABASE_URL"] = database_url(user, password, host)
    return user, password
