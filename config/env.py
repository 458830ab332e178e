"""The one django-environ reader every settings module uses, and where its files live."""

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def settle_stage(default: str) -> str:
    """The stage this process runs as: STAGE from the environment, else the settings module's
    own `default`. The one place settings read STAGE; the value is written back so what runs
    after (base settings, `.env.<stage>`, Zappa's manage, child processes) sees the same stage.
    Defaults that depend on the stage live in config/django/<mode>.py, never in
    config/settings/ (the integration files are the same for every stage)."""
    stage = os.environ.get("STAGE") or default
    os.environ["STAGE"] = stage
    return stage


def read_env_file(name: str) -> None:
    """Load BASE_DIR/<name> into os.environ if it exists; real environment variables win."""
    path = BASE_DIR / name
    if path.is_file():
        env.read_env(str(path), overwrite=False)


def local_generated_secret(name: str, *, state_dir: Path = BASE_DIR / "var") -> str:
    """A random secret kept in `state_dir`/secrets so a local checkout never needs a
    committed key.

    Only local settings call this: every other environment must be given its secrets.
    """
    if os.environ.get(name):
        return os.environ[name]
    secret_dir = state_dir / "secrets"
    secret_dir.mkdir(parents=True, exist_ok=True)
    path = secret_dir / name.lower()
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    value = path.read_text().strip()
    os.environ[name] = value
    return value
