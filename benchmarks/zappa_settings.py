"""The settings module Zappa writes into the package for a stage, rendered by Zappa itself
from zappa_settings.json (the cold start benchmark and the tests' Lambda handler use it)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def zappa_settings_text(
    stage: str, *, django_settings: str | None = None, overrides: dict | None = None
) -> str:
    """Zappa's own rendering of the stage; `overrides` replace stage keys (e.g. `events`
    whose queue ARNs only exist in the emulator)."""
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False  # as for `zappa package`: no AWS account needed
    for key, value in (overrides or {}).items():
        cli.override_stage_config_setting(key, value)
    cli.load_settings(str(PROJECT_ROOT / "zappa_settings.json"))
    if django_settings:
        cli.django_settings = django_settings
    return cli.get_zappa_settings_string()
