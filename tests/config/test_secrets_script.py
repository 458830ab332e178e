"""scripts/secrets: usage instead of a bash error, and a round trip against moto's server."""

import json
import os
import subprocess

import pytest

from tests.helpers import PROJECT_ROOT

SCRIPT = str(PROJECT_ROOT / "scripts" / "secrets")


def run_script(*args: str, environment: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
        timeout=60,
    )


@pytest.mark.parametrize("args", [(), ("--help",), ("put",), ("put", "dev"), ("bogus", "dev")])
def test_wrong_use_prints_the_usage(args):
    process = run_script(*args)

    assert process.returncode == 2
    assert process.stderr.count("usage: scripts/secrets") == 1
    assert "show-names <stage>" in process.stderr
    assert "parameter null" not in process.stderr and "unbound" not in process.stderr


def test_put_then_show_names_round_trip(aws, tmp_path):
    secret_file = tmp_path / "dev.json"
    secret_file.write_text(json.dumps({"SECRET_KEY": "s" * 50, "JWT_SIGNING_KEY": "j" * 50}))
    environment = {**aws.environment(), "SECRETS_PREFIX": f"script-{tmp_path.name[-6:]}"}

    stored = run_script("put", "dev", str(secret_file), environment=environment)
    names = run_script("show-names", "dev", environment=environment)

    assert stored.returncode == 0, stored.stderr
    assert names.returncode == 0, names.stderr
    assert names.stdout.strip() == "['JWT_SIGNING_KEY', 'SECRET_KEY']"
    assert "s" * 50 not in names.stdout
