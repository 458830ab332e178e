"""The pipeline queues: account-specific values are never typed into zappa_settings.json, and
once the stack's values are filled in, every queue the transport uses has exactly one consumer
(Zappa acknowledges a batch from an unmapped queue without reading it)."""

import re
from urllib.parse import urlsplit

from config.stage_checks.environment import stage_transport
from config.stage_checks.settings_file import (
    StageSettingsError,
    effective_environment,
    environment,
    stage_resolve,
)

# Zappa's handler imports these dotted paths; the pipelines' Lambda adapter defines them.
CONSUMERS = {
    "map": "pipelines.lambda_consumers.consume_map",
    "reduce": "pipelines.lambda_consumers.consume_reduce",
}
CONSUMERS_URL_VARIABLES = {f"PIPELINE_{step.upper()}_QUEUE_URL": step for step in CONSUMERS}
SQS_MAX_BATCH_WITHOUT_WINDOW = 10
_SQS_ARN = re.compile(r"^arn:aws[\w-]*:sqs:")
_CONTRACT = "docs/contract.md §4"


def stack_output(step: str, kind: str) -> str:
    """The stack output (infra/stage.yaml) that holds a step's queue `Arn` or `Url`."""
    return f"{step.capitalize()}Queue{kind}"


def queue_arn_from_url(url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN."""
    parts = urlsplit(url)
    host = (parts.hostname or "").split(".")
    path = parts.path.strip("/").split("/")
    if len(host) < 3 or host[0] != "sqs" or len(path) != 2:
        raise ValueError(f"not an SQS queue URL: {url}")
    return f"arn:aws:sqs:{host[1]}:{path[0]}:{path[1]}"


def sqs_sources(stage_settings: dict) -> list[tuple[str, str, dict]]:
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


def typed_account_values_errors(stage_settings: dict) -> list[str]:
    """The committed file names queues by stack output; the settings callback fills them in."""
    steps = {function: step for step, function in CONSUMERS.items()}
    errors = [
        f"queue ARN {arn} is typed into zappa_settings.json: write "
        f'`"arn": "stack-output:{stack_output(steps.get(function, "map"), "Arn")}"`, which '
        f"the settings callback fills in from the stage's stack at deploy ({_CONTRACT})"
        for arn, function, _ in sqs_sources(stage_settings)
    ]
    errors += [
        f"{name} is typed into zappa_settings.json: delete it; the settings callback sets it "
        f"from the stack output {stack_output(step, 'Url')} at deploy ({_CONTRACT})"
        for name, step in CONSUMERS_URL_VARIABLES.items()
        if environment(stage_settings).get(name)
    ]
    return errors


def queue_errors(
    zappa_settings: dict, stage_settings: dict, env_file_values: dict | None
) -> list[str]:
    """With the stack's values filled in: every queue the transport uses has one consumer."""
    errors, queue_arns = [], {}
    if stage_transport(stage_settings, env_file_values) == "sqs":
        errors, queue_arns = _transport_queue_errors(
            _consumers_by_arn(zappa_settings),
            effective_environment(stage_settings, env_file_values),
        )
    return errors + _event_source_errors(sqs_sources(stage_settings), queue_arns)


def _consumers_by_arn(zappa_settings: dict) -> dict[str, list[tuple[str, str]]]:
    """(stage, function) of every consumer of each queue, over every stage of the file."""
    consumers: dict[str, list[tuple[str, str]]] = {}
    for name in zappa_settings:
        try:
            other = stage_resolve(zappa_settings, name)
        except StageSettingsError:
            continue  # reported when that stage is checked
        for arn, function, _ in sqs_sources(other):
            consumers.setdefault(arn, []).append((name, function))
    return consumers


def _transport_queue_errors(
    consumers_by_arn: dict, values: dict
) -> tuple[list[str], dict[str, str]]:
    """Each step's queue URL is set and its queue mapped to the step's function, once; also
    the step of each queue ARN found."""
    errors, queue_arns = [], {}
    for variable, step in CONSUMERS_URL_VARIABLES.items():
        url = values.get(variable)
        if not url:
            errors.append(
                f"{variable} is not set (the stage's transport is sqs; at deploy the settings "
                f"callback sets it from the stack output {stack_output(step, 'Url')})"
            )
            continue
        try:
            arn = queue_arn_from_url(url)
        except ValueError as exc:
            errors.append(f"{variable}: {exc}")
            continue
        queue_arns[arn] = step
        errors += _consumer_errors(arn, CONSUMERS[step], consumers_by_arn.get(arn, []))
    return errors, queue_arns


def _consumer_errors(arn: str, function: str, consumers: list[tuple[str, str]]) -> list[str]:
    if not consumers:
        return [
            f"queue {arn} has no consumer: map it to {function} in `events` (Zappa deletes "
            "an unmapped queue's messages unread)"
        ]
    if len(consumers) > 1:
        stages = ", ".join(sorted(name for name, _ in consumers))
        return [f"queue {arn} has {len(consumers)} consumers (stages {stages}); exactly one"]
    if consumers[0][1] != function:
        return [f"queue {arn} is mapped to {consumers[0][1]}, not {function}"]
    return []


def _event_source_errors(own_sources: list, queue_arns: dict[str, str]) -> list[str]:
    """The stage's own SQS event sources: a known queue, a batch Lambda accepts, enabled."""
    errors = []
    for arn, function, source in own_sources:
        if arn not in queue_arns and function in CONSUMERS.values():
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
