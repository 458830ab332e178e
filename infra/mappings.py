"""The SQS event source mappings of a stage's consumers.

Zappa 0.63 creates a mapping with `Enabled` from the event's `enabled` and never sets
`FunctionResponseTypes` (ReportBatchItemFailures) or `ScalingConfig.MaximumConcurrency`:
a mapping consuming before they are set would delete a whole batch for one failed record
and could take all of the account's concurrency. So the settings callback creates new
mappings disabled (and keeps configured ones as they are), and the post callback configures
them, then enables them, then checks that each queue has exactly one consumer."""

from infra.feedback import DeployError, say
from infra.stack import aws_client

DEFAULT_MAXIMUM_CONCURRENCY = 2  # the smallest value SQS event sources accept
BATCH_ITEM_FAILURES = ["ReportBatchItemFailures"]


def sqs_events(events: list[dict]) -> list[dict]:
    return [
        event
        for event in events or []
        if isinstance(event.get("event_source"), dict)
        and ":sqs:" in event["event_source"].get("arn", "")
    ]


def mappings_of(*, function_name: str | None = None, queue_arn: str | None = None) -> list[dict]:
    """Filtered here by the function's name: Zappa creates mappings with the function's ARN,
    and a `FunctionName` filter then has to be given in the same form."""
    lambda_client = aws_client("lambda")
    query = {"EventSourceArn": queue_arn} if queue_arn else {}
    found = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate(**query):
        found += page["EventSourceMappings"]
    return [m for m in found if function_name in (None, function_of(m))]


def function_of(mapping: dict) -> str:
    return mapping["FunctionArn"].rsplit(":", 1)[1]


def configured(mapping: dict) -> bool:
    return mapping.get("FunctionResponseTypes") == BATCH_ITEM_FAILURES


def events_with_safe_state(events: list[dict], *, function_name: str) -> list[dict]:
    """The events with `enabled` as Zappa should pass it: a mapping we configured keeps its
    state (an update must not switch a consumer off, nor on); any other starts disabled."""
    existing = {m["EventSourceArn"]: m for m in mappings_of(function_name=function_name)}
    safe = []
    for event in events or []:
        if event in sqs_events(events):
            mapping = existing.get(event["event_source"]["arn"])
            enabled = bool(mapping and configured(mapping) and mapping["State"] == "Enabled")
            event = {**event, "event_source": {**event["event_source"], "enabled": enabled}}
        safe.append(event)
    return safe


def consumer_conflicts(
    events: list[dict], *, function_name: str, queue_arns: list[str]
) -> list[str]:
    """Before anything changes: another function already consumes one of our queues, or
    this function consumes a queue that is not in the stage's stack."""
    errors = []
    for event in sqs_events(events):
        arn = event["event_source"]["arn"]
        others = sorted({function_of(m) for m in mappings_of(queue_arn=arn)} - {function_name})
        if others:
            errors.append(
                f"queue {arn} is consumed by {', '.join(others)} already; exactly one consumer"
            )
    errors += [
        f"function {function_name} consumes {m['EventSourceArn']}, a queue that is not in "
        f"the stage's stack"
        for m in mappings_of(function_name=function_name)
        if m["EventSourceArn"] not in queue_arns
    ]
    return errors


def mappings_configure(events: list[dict], *, function_name: str) -> None:
    """ReportBatchItemFailures and the maximum concurrency first, then enabled."""
    lambda_client = aws_client("lambda")
    for event in sqs_events(events):
        source = event["event_source"]
        arn = source["arn"]
        mappings = mappings_of(function_name=function_name, queue_arn=arn)
        if len(mappings) != 1:
            raise DeployError(
                f"{function_name} has {len(mappings)} mappings of {arn}; expected one"
            )
        concurrency = int(source.get("maximum_concurrency", DEFAULT_MAXIMUM_CONCURRENCY))
        mapping = mappings[0]
        if (
            configured(mapping)
            and mapping.get("ScalingConfig") == {"MaximumConcurrency": concurrency}
            and mapping["State"] == "Enabled"
        ):
            say(f"  {arn.rsplit(':', 1)[1]} -> {function_name}: configured and enabled already")
            continue
        lambda_client.update_event_source_mapping(
            UUID=mappings[0]["UUID"],
            FunctionResponseTypes=BATCH_ITEM_FAILURES,
            ScalingConfig={"MaximumConcurrency": concurrency},
        )
        lambda_client.update_event_source_mapping(UUID=mappings[0]["UUID"], Enabled=True)
        say(
            f"  {arn.rsplit(':', 1)[1]} -> {function_name}: ReportBatchItemFailures, "
            f"maximum concurrency {concurrency}, enabled"
        )


def consumer_errors(queue_arns: list[str]) -> list[str]:
    """Every queue of the stack has exactly one consumer."""
    errors = []
    for arn in queue_arns:
        consumers = sorted(function_of(m) for m in mappings_of(queue_arn=arn))
        if len(consumers) != 1:
            errors.append(
                f"queue {arn} has {len(consumers)} consumers"
                + (f" ({', '.join(consumers)})" if consumers else "")
                + "; exactly one"
            )
    return errors
