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
