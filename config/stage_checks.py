"""The stage checks: is a Zappa stage, and the process running it, fit to deploy?

One module for all of them, run by `manage.py stage_check <stage>`, by `manage.py check
--deploy` (the system check registered below) and by `scripts/zappa deploy|update`, which
refuses to deploy a stage that fails them.

It lives in `config/` because a stage is a wiring concern: it ties Zappa's settings file, the
settings module (`config.django.aws` and the environment it reads) and the pipelines' consumer
functions together. Apps never import `config/`, so neither the system check nor the command
can live in an app: `config` is an installed app of its own for exactly this (its AppConfig
registers the check, `config/management/commands/stage_check.py` is the command). Importing
this module costs only json/re: no boto3, no Celery.

What is checked (docs/contract.md §3 rule 7, §4):
- the stage resolves the way Zappa resolves it (`extends`: a recursive, *shallow*
  `dict.update`, zappa/cli.py `stage_config`), and lost nothing on the way: a stage that sets
  its own `environment_variables` replaces the base's whole dict, so `ALLOWED_HOSTS` and
  `SECRETS_PREFIX` silently vanish;
- the pipelines' scheduled jobs (the cleanup and the stall watch) each run exactly once per
  stage (in the main stage, never in its function stages such as `dev_browser`);
- queues: account-specific values (queue ARNs and URLs) are never typed into the committed
  file; they are filled in from the infrastructure stack's outputs into a *generated* settings
  file. On a generated file (`generated=True`) every pipeline queue the stage's transport uses
  has exactly one consumer, mapped to the right function, in one stage of the file: Zappa
  acknowledges a batch from an unmapped queue without reading it, so an unmapped queue
  silently eats work.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ

from config.env import BASE_DIR

ZAPPA_SETTINGS_FILE = BASE_DIR / "zappa_settings.json"
# Zappa's handler imports these dotted paths; the pipelines' Lambda adapter defines them.
CONSUMERS = {
    "map": "pipelines.lambda_consumers.consume_map",
    "reduce": "pipelines.lambda_consumers.consume_reduce",
}
CONSUMERS_URL_VARIABLES = tuple(f"PIPELINE_{step.upper()}_QUEUE_URL" for step in CONSUMERS)
CLEANUP = "pipelines.lambda_consumers.cleanup"
STALL_WATCH = "pipelines.lambda_consumers.stall_watch"
# Each runs exactly once per stage: in the main stage, never in its function stages.
SCHEDULED_JOBS = (CLEANUP, STALL_WATCH)
# What config.django.aws needs from the stage's environment_variables: without
# ALLOWED_HOSTS every request is a 400; without SECRETS_PREFIX the stage reads another
# project's secret name.
REQUIRED_ENVIRONMENT = ("ALLOWED_HOSTS", "SECRETS_PREFIX")
AWS_SETTINGS = "config.django.aws"
# The aws settings' default transport (config/django/aws.py).
AWS_DEFAULT_TRANSPORT = "sqs"
SQS_MAX_BATCH_WITHOUT_WINDOW = 10
_SQS_ARN = re.compile(r"^arn:aws[\w-]*:sqs:")


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


def queue_arn_from_url(url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN."""
    parts = urlsplit(url)
    host = (parts.hostname or "").split(".")
    path = parts.path.strip("/").split("/")
    if len(host) < 3 or host[0] != "sqs" or len(path) != 2:
        raise ValueError(f"not an SQS queue URL: {url}")
    return f"arn:aws:sqs:{host[1]}:{path[0]}:{path[1]}"


def _environment(stage_settings: dict) -> dict:
    return stage_settings.get("environment_variables") or {}


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


def _effective_environment(stage_settings: dict, env_file_values: dict | None) -> dict:
    """What the function's process sees: environment variables win over `.env.<stage>`."""
    return {**(env_file_values or {}), **_environment(stage_settings)}


def stage_transport(stage_settings: dict, env_file_values: dict | None = None) -> str:
    """The pipeline transport the stage's settings module will pick."""
    default = (
        AWS_DEFAULT_TRANSPORT if stage_settings.get("django_settings") == AWS_SETTINGS else "celery"
    )
    return (
        _effective_environment(stage_settings, env_file_values).get("PIPELINE_TRANSPORT") or default
    )


def _sqs_sources(stage_settings: dict) -> list[tuple[str, str, dict]]:
    """(arn, function, event_source) of every SQS event source the stage maps."""
    return [
        (
            str(event["event_source"].get("arn", "")),
            event.get("function", ""),
            event["event_source"],
        )
        for event in stage_settings.get("events") or []
        if isinstance(event.get("event_source"), dict)
        and _SQS_ARN.match(str(event["event_source"].get("arn", "")))
    ]


def _lost_keys_errors(zappa_settings: dict, stage: str, env_file_values: dict | None) -> list[str]:
    """Dict settings a stage of the chain redefines, dropping keys its parent had (a
    variable `.env.<stage>` supplies is not lost)."""
    errors = []
    name = stage
    while zappa_settings[name].get("extends"):
        parent = zappa_settings[name]["extends"]
        inherited = stage_resolve(zappa_settings, parent)
        for key, own in zappa_settings[name].items():
            if isinstance(own, dict) and isinstance(inherited.get(key), dict):
                supplied = set(env_file_values or {}) if key == "environment_variables" else set()
                lost = sorted(set(inherited[key]) - set(own) - supplied)
                if lost:
                    errors.append(
                        f"`{key}` of stage '{name}' replaces the one of '{parent}' (Zappa's "
                        f"`extends` copies top-level keys, it does not merge them): "
                        f"{', '.join(lost)} are lost; repeat them in '{name}'"
                    )
        name = parent
    return errors


def _queue_errors(
    zappa_settings: dict, stage_settings: dict, env_file_values: dict | None
) -> list[str]:
    """A generated configuration: every queue the transport uses has exactly one consumer."""
    errors = []
    environment = _effective_environment(stage_settings, env_file_values)
    own_sources = _sqs_sources(stage_settings)
    consumers_by_arn: dict[str, list[tuple[str, str]]] = {}
    for name in zappa_settings:
        try:
            other = stage_resolve(zappa_settings, name)
        except StageSettingsError:
            continue  # reported when that stage is checked
        for arn, function, _ in _sqs_sources(other):
            consumers_by_arn.setdefault(arn, []).append((name, function))
    queue_arns = {}
    if stage_transport(stage_settings, env_file_values) == "sqs":
        for step, function in CONSUMERS.items():
            variable = f"PIPELINE_{step.upper()}_QUEUE_URL"
            url = environment.get(variable)
            if not url:
                errors.append(f"{variable} is not set (the stage's transport is sqs)")
                continue
            try:
                arn = queue_arn_from_url(url)
            except ValueError as exc:
                errors.append(f"{variable}: {exc}")
                continue
            queue_arns[arn] = step
            consumers = consumers_by_arn.get(arn, [])
            if not consumers:
                errors.append(
                    f"queue {arn} has no consumer: map it to {function} in "
                    "`events` (Zappa deletes an unmapped queue's messages unread)"
                )
            elif len(consumers) > 1:
                errors.append(
                    f"queue {arn} has {len(consumers)} consumers (stages "
                    f"{', '.join(sorted(n for n, _ in consumers))}); exactly one"
                )
            elif consumers[0][1] != function:
                errors.append(f"queue {arn} is mapped to {consumers[0][1]}, not {function}")
    for arn, function, source in own_sources:
        step = queue_arns.get(arn)
        if step is None and function in CONSUMERS.values():
            errors.append(
                f"{function} consumes {arn}, which is not one of the stage's "
                "PIPELINE_*_QUEUE_URL queues"
            )
        batch = source.get("batch_size", 10)
        if batch > SQS_MAX_BATCH_WITHOUT_WINDOW and not source.get(
            "maximum_batching_window_in_seconds"
        ):
            errors.append(f"queue {arn}: batch_size {batch} > 10 needs a batching window")
        if source.get("enabled") is False:
            errors.append(f"queue {arn}: its event source is disabled")
    return errors


def _typed_account_values_errors(stage_settings: dict) -> list[str]:
    errors = [
        f"queue ARN {arn} is typed into the settings file: ARNs come from the "
        "infrastructure stack's outputs, in the generated settings (docs/contract.md §4)"
        for arn, _, _ in _sqs_sources(stage_settings)
    ]
    errors += [
        f"{name} is typed into the settings file: queue URLs come from the infrastructure "
        "stack's outputs, in the generated settings (docs/contract.md §4)"
        for name in CONSUMERS_URL_VARIABLES
        if _environment(stage_settings).get(name)
    ]
    return errors


def _shape_errors(stage_settings: dict) -> list[str]:
    """What Zappa itself would trip over (and the checks below read)."""
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


def companion_of(zappa_settings: dict, stage: str) -> str | None:
    """The stage a function stage belongs to: `dev_browser` (or `dev-workers`) extends `dev`
    and is one more function of it, with its own memory and timeout, as the book gives each
    lambda its own. The stage's schedules run in the main stage only."""
    parent = (zappa_settings.get(stage) or {}).get("extends")
    if parent and stage.startswith((f"{parent}_", f"{parent}-")):
        return parent
    return None


def stage_errors(
    zappa_settings: dict,
    stage: str,
    *,
    generated: bool = False,
    env_file_values: dict | None = None,
) -> list[str]:
    """What keeps `stage` of a Zappa settings dict from a safe deploy; [] when nothing.

    `generated=False`: the committed zappa_settings.json, where typed queue ARNs/URLs are
    errors. `generated=True`: a settings file built from the infrastructure stack's outputs,
    where every queue the stage's transport uses must have exactly one mapped consumer.
    `env_file_values`: the stage's `.env.<stage>` (stage_env_file_values), which supplies
    variables the settings file does not set."""
    try:
        stage_settings = stage_resolve(zappa_settings, stage)
    except StageSettingsError as exc:
        return [str(exc)]
    shape = _shape_errors(stage_settings)
    if shape:
        return shape
    errors = []
    if not stage_settings.get("django_settings"):
        errors.append("`django_settings` is not set")
    errors += _lost_keys_errors(zappa_settings, stage, env_file_values)
    environment = _effective_environment(stage_settings, env_file_values)
    if stage_settings.get("django_settings") == AWS_SETTINGS:
        errors += [
            f"{name} is set neither in environment_variables nor in .env.{stage} "
            f"({AWS_SETTINGS} needs it)"
            for name in REQUIRED_ENVIRONMENT
            if not environment.get(name)
        ]
    errors += _schedule_errors(zappa_settings, stage, stage_settings)
    if generated:
        errors += _queue_errors(zappa_settings, stage_settings, env_file_values)
    else:
        errors += _typed_account_values_errors(stage_settings)
    return errors


def _schedule_errors(zappa_settings: dict, stage: str, stage_settings: dict) -> list[str]:
    errors = []
    main_stage = companion_of(zappa_settings, stage)
    for job in SCHEDULED_JOBS:
        schedules = [
            event
            for event in stage_settings.get("events") or []
            if event.get("function") == job and event.get("expression")
        ]
        if main_stage:
            if schedules:
                errors.append(
                    f"{job} is scheduled in '{main_stage}' already; the function "
                    f"stage '{stage}' must not run it a second time"
                )
        elif not schedules:
            errors.append(f"no schedule (`expression`) event runs {job}")
        elif len(schedules) > 1:
            errors.append(f"{len(schedules)} schedule events run {job}; one is enough")
    return errors


def process_errors() -> list[str]:
    """The running process's settings: a transport must know where its queues are."""
    # django.conf only when a check runs: infra/deploy.py imports this module outside Django.
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
    # django.conf only when a check runs: infra/deploy.py imports this module outside Django.
    from django.conf import settings

    return Path(getattr(settings, "ZAPPA_SETTINGS_FILE", ZAPPA_SETTINGS_FILE))


def deploy_check(app_configs=None, **kwargs):
    """`manage.py check --deploy`: the process's queues, and its stage in the committed
    zappa_settings.json when the process runs one of its stages (STAGE=prod on Lambda)."""
    # django.conf only when a check runs: infra/deploy.py imports this module outside Django.
    from django.conf import settings
    from django.core import checks

    messages = [checks.Error(text, id="config.E001") for text in process_errors()]
    stage, path = getattr(settings, "STAGE", None), zappa_settings_file()
    if not stage or not path.is_file():
        return messages
    try:
        zappa_settings = zappa_settings_load(path)
        problems = (
            stage_errors(
                zappa_settings,
                stage,
                env_file_values=stage_env_file_values(stage),
            )
            if stage in zappa_settings
            else []
        )
    except StageSettingsError as exc:
        problems = [str(exc)]
    if problems:
        messages += [
            checks.Error(f"stage '{stage}': {text}", id="config.E002") for text in problems
        ]
    return messages


DEPLOY_CHECK_IDS = ("config.E001", "config.E002")
