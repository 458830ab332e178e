"""Stage names: the committed Zappa stages, their function stages and the previews.

A stage (`dev`) is several Lambda functions, one Zappa stage each: the stage itself (the web
function: API and schedules) and its function stages `dev_workers`, `dev_browser`. All of
them share one infrastructure stack, named after the infra stage (`dev`, `preview-pr-9`).
"""

import json

from config.stage_checks.settings_file import companion_of, stage_resolve
from infra.template import PROJECT

PREVIEW_PREFIX = "preview-"
PREVIEW_BASE = "dev"
WORKERS_SUFFIX = "workers"
# Set only in the generated settings of a preview: Zappa's stage names match [a-zA-Z0-9_],
# the stack keeps the dashes of `preview-pr-9`.
INFRA_STAGE_KEY = "infra_stage"


class StageError(Exception):
    """The stage cannot be resolved; the message says why."""


def zappa_stage_name(stage: str) -> str:
    """Zappa's stage names match [a-zA-Z0-9_]: `preview-pr-7` deploys as `preview_pr_7`."""
    return stage.replace("-", "_")


def main_stage(settings: dict, zappa_stage: str) -> str:
    """`dev` for `dev`, `dev_workers` and `dev_browser`."""
    return companion_of(settings, zappa_stage) or zappa_stage


def infra_stage(settings: dict, zappa_stage: str) -> str:
    """The stage whose stack serves `zappa_stage`: `dev` for `dev_workers`."""
    main = main_stage(settings, zappa_stage)
    return stage_resolve(settings, main).get(INFRA_STAGE_KEY) or main


def stage_settings_with_preview(committed: dict, *, stage: str) -> dict:
    """The committed settings, plus `preview_<name>` and its function stages derived from
    `dev` and dev's function stages when `stage` is a preview."""
    settings = json.loads(json.dumps(committed))
    main = zappa_stage_name(stage)
    if main in settings:
        return settings
    if not stage.startswith(PREVIEW_PREFIX) or len(stage) == len(PREVIEW_PREFIX):
        raise StageError(
            f"stage '{stage}' is not in zappa_settings.json (previews are "
            f"named {PREVIEW_PREFIX}<name>)"
        )
    settings[main] = {"extends": PREVIEW_BASE, INFRA_STAGE_KEY: stage}
    for name in list(committed):
        if companion_of(committed, name) == PREVIEW_BASE:
            function = name[len(PREVIEW_BASE) + 1 :]
            settings[f"{main}_{function}"] = {**committed[name], "extends": main}
    return settings


def function_stages(settings: dict, *, stage: str) -> list[str]:
    """The stage itself (the web function: API and schedules) and its function stages."""
    main = zappa_stage_name(stage)
    return [main, *sorted(name for name in settings if companion_of(settings, name) == main)]


def lambda_function_name(zappa_stage: str) -> str:
    """The name Zappa gives the function (zappa/cli.py: slugify(project + "-" + stage))."""
    import slugify  # python-slugify, Zappa's own dependency: the same result by construction

    return slugify.slugify(f"{PROJECT}-{zappa_stage}")


def consumer_timeout_seconds(settings: dict, *, main: str) -> int:
    """The workers function's timeout (the queues' visibility timeout is 6 x it)."""
    workers = f"{main}_{WORKERS_SUFFIX}"
    return int(
        stage_resolve(settings, workers if workers in settings else main).get("timeout_seconds", 30)
    )
