"""What the tests import besides fixtures: builders, servers and waits (not tests)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cold_process_environ(home: Path) -> dict[str, str]:
    """The environment of a fresh Python process standing in for a cold Lambda container:
    the project importable, secrets from the environment, an in-memory database."""
    import os

    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
        "SECRETS_SOURCE": "env",
        "SECRET_KEY": "x" * 50,
        "JWT_SIGNING_KEY": "y" * 50,
        "DATABASE_URL": "sqlite:///:memory:",
    }


def cold_process_report(home: Path, script: str, *arguments: str) -> dict:
    """process_report in a cold process (cold_process_environ)."""
    return process_report(script, *arguments, env=cold_process_environ(home))


def process_report(
    script: str, *arguments: str, env: dict[str, str], cwd: Path = PROJECT_ROOT
) -> dict | list:
    """Run `script` (python -c) in `cwd` (the project root) with `env` and return the JSON
    report it prints last; fails with the process's stderr if it does not exit 0."""
    import json
    import subprocess
    import sys

    process = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])
