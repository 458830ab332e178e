"""A stage that cannot start says what is missing in one line (manage.py with config.django.aws),
not a botocore traceback."""

import json
import subprocess
import sys

import pytest

from tests.helpers import PROJECT_ROOT


def manage_check(tmp_path, **environment) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STAGE": "dev",
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        # No shared config or credentials files of the machine, no instance metadata.
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_clear_line(process, *expected: str) -> None:
    assert process.returncode == 1
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in process.stderr
    for text in expected:
        assert text in lines[0]


def test_no_region_names_the_variable(tmp_path):
    process = manage_check(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")

    assert_one_clear_line(process, "AWS_DEFAULT_REGION", "serverless-handbook/dev")


def test_no_credentials_says_so(tmp_path):
    process = manage_check(
        tmp_path, AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL="http://127.0.0.1:9"
    )

    assert_one_clear_line(process, "No AWS credentials", "serverless-handbook/dev")


def test_missing_stage_secret_names_it(aws, tmp_path):
    process = manage_check(tmp_path, **aws.environment(), SECRETS_PREFIX="no-such-prefix")

    assert_one_clear_line(process, "'no-such-prefix/dev'", "ResourceNotFoundException")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL"])
def test_missing_required_value_names_it(aws, tmp_path, missing):
    values = {
        "SECRET_KEY": "k" * 50,
        "JWT_SIGNING_KEY": "j" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    del values[missing]
    prefix = f"required-{missing.lower()}-{tmp_path.name[-6:]}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/dev", SecretString=json.dumps(values)
    )

    process = manage_check(tmp_path, **aws.environment(), SECRETS_PREFIX=prefix)

    assert_one_clear_line(process, missing, f"'{prefix}/dev'")


def test_aws_stages_keep_media_in_their_bucket_and_run_no_browser(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STAGE": "dev",
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        "SECRETS_SOURCE": "env",
        "SECRET_KEY": "k" * 50,
        "JWT_SIGNING_KEY": "j" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "example.com",
        "MEDIA_BUCKET": "handbook-media-dev",
    }
    code = (
        "from django.conf import settings; import json; "
        "print(json.dumps([settings.STORAGES['default'], settings.CHROMIUM_BUILD]))"
    )

    process = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert process.returncode == 0, process.stderr
    storage, chromium_build = json.loads(process.stdout.strip().splitlines()[-1])
    assert chromium_build == "none"  # only the browser's own function runs Chromium
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "handbook-media-dev"
    assert storage["OPTIONS"]["default_acl"] is None
