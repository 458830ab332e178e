"""Reading zappa_settings.json and resolving a stage the way Zappa 0.63 does."""

import json
from pathlib import Path

import environ

from config.env import BASE_DIR

ZAPPA_SETTINGS_FILE = BASE_DIR / "zappa_settings.json"


class StageSettingsError(ValueError):
    """The settings file cannot be read or the stage cannot be resolved."""


def zappa_settings_load(path: Path | str = ZAPPA_SETTINGS_FILE) -> dict:
    try:
        settings = json.loads(Path(path).read_text())
    except OSError as exc:
        raise StageSettingsError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise StageSettingsError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(settings, dict):
        raise StageSettingsError(f"{path} is not a JSON object of stages")
    return settings


def stage_resolve(zappa_settings: dict, stage: str) -> dict:
    """The stage's settings as Zappa 0.63 computes them (zappa/cli.py `stage_config`): the
    stage's own keys over the resolved stage it `extends`, top-level keys only."""
    chain: list[str] = []
    name = stage
    while name:
        if name in chain:
            raise StageSettingsError(f"circular `extends`: {' -> '.join([*chain, name])}")
        if not isinstance(zappa_settings.get(name), dict):
            raise StageSettingsError(
                f"stage '{name}' is not defined"
                + (f" (extended by '{chain[-1]}')" if chain else "")
            )
        chain.append(name)
        name = zappa_settings[name].get("extends")
    resolved: dict = {}
    for name in reversed(chain):
        resolved.update(zappa_settings[name])
    return resolved


def companion_of(zappa_settings: dict, stage: str) -> str | None:
    """The stage a function stage belongs to: `dev_browser` (or `dev-workers`) extends `dev`
    and is one more function of it, with its own memory and timeout, as the book gives each
    lambda its own. The stage's schedules run in the main stage only."""
    parent = (zappa_settings.get(stage) or {}).get("extends")
    if parent and stage.startswith((f"{parent}_", f"{parent}-")):
        return parent
    return None


def shape_errors(stage_settings: dict) -> list[str]:
    """What Zappa itself would trip over (and the other checks read)."""
    events = stage_settings.get("events") or []
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return ["`events` must be a list of objects"]
    if not isinstance(stage_settings.get("environment_variables") or {}, dict):
        return ["`environment_variables` must be an object"]
    if any(
        not isinstance(event["event_source"].get("batch_size", 10), int)
        for event in events
        if isinstance(event.get("event_source"), dict)
    ):
        return ["an event source's `batch_size` must be a number"]
    return []


def stage_env_file_values(stage: str, *, base_dir: Path = BASE_DIR) -> dict[str, str]:
    """The stage's `.env.<stage>` (non-secret stage settings, never committed, shipped in the
    package): config.django.aws reads it under the function's environment variables."""

    # django-environ parses exactly as the settings will; ENVIRON is its documented target
    # mapping, swapped for a dict so reading the file changes nothing in this process.
    class FileOnly(environ.Env):
        ENVIRON: dict = {}

    path = base_dir / f".env.{stage}"
    if path.is_file():
        FileOnly.read_env(str(path))
    return dict(FileOnly.ENVIRON)


def environment(stage_settings: dict) -> dict:
    """The stage's own `environment_variables`."""
    return stage_settings.get("environment_variables") or {}


def effective_environment(stage_settings: dict, env_file_values: dict | None) -> dict:
    """What the function's process sees: environment variables win over `.env.<stage>`."""
    return {**(env_file_values or {}), **environment(stage_settings)}
