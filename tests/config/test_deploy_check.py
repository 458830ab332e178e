"""`manage.py check --deploy` with the prod stage's settings reports nothing (docs/contract.md §4)."""

import json
import os
import secrets
import subprocess
import sys
import uuid

from benchmarks.zappa_settings import zappa_settings_text
from tests.helpers import PROJECT_ROOT


def test_check_deploy_is_clean_for_prod(aws, tmp_path):
    prefix = f"handbook-deploy-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/prod",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            }
        ),
    )
    # The stage's queues exist (the infrastructure stack's outputs give their URLs).
    sqs = aws.client("sqs")
    queue_urls = {
        f"PIPELINE_{step.upper()}_QUEUE_URL": sqs.create_queue(
            QueueName=f"serverless-handbook-pipeline-{step}-prod"
        )["QueueUrl"]
        for step in ("map", "reduce")
    }
    # The prod stage's own environment variables, as Zappa renders them for the function.
    namespace: dict = {}
    exec(zappa_settings_text("prod"), namespace)  # noqa: S102 - Zappa's generated settings
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **aws.environment(),
        **namespace["ENVIRONMENT_VARIABLES"],
        **queue_urls,
        "SECRETS_PREFIX": prefix,
        "STAGE": "prod",
        "DJANGO_SETTINGS_MODULE": namespace["DJANGO_SETTINGS"],
    }

    process = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert process.returncode == 0, process.stderr
    assert "System check identified no issues (0 silenced)." in process.stdout


def test_check_deploy_fails_while_the_pipeline_queues_are_unknown(aws, tmp_path):
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **aws.environment(),
        "SECRETS_SOURCE": "env",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ALLOWED_HOSTS": ".execute-api.us-east-1.amazonaws.com",
        "STAGE": "prod",
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
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
    assert "PIPELINE_MAP_QUEUE_URL is not set" in process.stderr
