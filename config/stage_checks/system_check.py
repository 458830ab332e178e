"""`manage.py check --deploy`: the running process's queues, and its stage in the committed
zappa_settings.json when the process runs one of its stages (STAGE=prod on Lambda).

django.conf is imported only when a check runs: infra/ imports the stage checks outside Django.
"""

from pathlib import Path

from config.stage_checks.queues import CONSUMERS
from config.stage_checks.settings_file import (
    ZAPPA_SETTINGS_FILE,
    StageSettingsError,
    stage_env_file_values,
    zappa_settings_load,
)
from config.stage_checks.stage import stage_errors

DEPLOY_CHECK_IDS = ("config.E001", "config.E002")


def process_errors() -> list[str]:
    """The running process's settings: a transport must know where its queues are."""
    from django.conf import settings

    if settings.PIPELINE_TRANSPORT != "sqs":
        return []
    urls = settings.PIPELINE_QUEUE_URLS or {}
    return [
        f"PIPELINE_TRANSPORT=sqs but PIPELINE_{step.upper()}_QUEUE_URL is not set"
        for step in CONSUMERS
        if not urls.get(step)
    ]


def zappa_settings_file() -> Path:
    """The committed settings file; the ZAPPA_SETTINGS_FILE setting may point elsewhere
    (tests do)."""
    from django.conf import settings

    return Path(getattr(settings, "ZAPPA_SETTINGS_FILE", ZAPPA_SETTINGS_FILE))


def deploy_check(app_configs=None, **kwargs):
    from django.conf import settings
    from django.core import checks

    messages = [checks.Error(text, id="config.E001") for text in process_errors()]
    stage, path = getattr(settings, "STAGE", None), zappa_settings_file()
    if not stage or not path.is_file():
        return messages
    try:
        zappa_settings = zappa_settings_load(path)
        problems = (
            stage_errors(zappa_settings, stage, env_file_values=stage_env_file_values(stage))
            if stage in zappa_settings
            else []
        )
    except StageSettingsError as exc:
        problems = [str(exc)]
    return messages + [
        checks.Error(f"stage '{stage}': {text}", id="config.E002") for text in problems
    ]
