"""The workers mode's commands refuse to start without what production needs, and say what is
missing in one line (config/django/workers.py, scripts/lib/workers_mode.sh)."""

import subprocess

import pytest

from tests.helpers import PROJECT_ROOT

COMPLETE = {
    "DATABASE_URL": "postgres://nobody@127.0.0.1:9/never_reached",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:9//",
    "SECRET_KEY": "k" * 50,
    "JWT_SIGNING_KEY": "j" * 50,
    "ALLOWED_HOSTS": "api.example.com",
}


def run_migrate(environment: dict, tmp_path) -> subprocess.CompletedProcess:
    import os

    base = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "migrate")],
        cwd=PROJECT_ROOT,
        env={**base, "STATE_DIR": str(tmp_path), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_command_without_a_required_variable_names_it_and_fails(missing, tmp_path):
    environment = {key: value for key, value in COMPLETE.items() if key != missing}

    result = run_migrate(environment, tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert missing in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "sqlite:///var/db.sqlite3", "must be a postgres:// URL"),
        ("CELERY_BROKER_URL", "filesystem://", "a broker every process reaches"),
    ],
)
def test_the_local_modes_database_and_broker_are_refused(variable, value, message, tmp_path):
    result = run_migrate({**COMPLETE, variable: value}, tmp_path)

    assert result.returncode != 0
    assert message in result.stderr
