"""Design §3.7: every queue that exists has a consumer. Zappa acknowledges a batch from a queue
with no mapped function without reading it, so an unmapped pipeline queue silently eats work.

`manage.py check --deploy` reports a stage whose SQS transport lacks queue URLs;
`zappa_stage_consumer_errors` checks a stage of zappa_settings.json (run by the tests over
the real file, and usable from a deploy script).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

CONSUMERS = {
    "map": "pipelines.lambda_consumers.consume_map",
    "reduce": "pipelines.lambda_consumers.consume_reduce",
}
CLEANUP = "pipelines.lambda_consumers.cleanup"


def queue_arn_from_url(url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN."""
    parts = urlsplit(url)
    region = parts.hostname.split(".")[1]
    account, name = parts.path.strip("/").split("/")[:2]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def zappa_stage_consumer_errors(stage: dict) -> list[str]:
    """Problems of one (already merged) Zappa stage using the SQS transport; [] if fine."""
    environment = stage.get("environment_variables") or {}
    if environment.get("PIPELINE_TRANSPORT") != "sqs":
        return []
    events = stage.get("events") or []
    mapped = {(event.get("event_source") or {}).get("arn"): event.get("function")
              for event in events if event.get("event_source")}
    errors = []
    for step, function in CONSUMERS.items():
        url = environment.get(f"PIPELINE_{step.upper()}_QUEUE_URL")
        if not url:
            errors.append(f"PIPELINE_{step.upper()}_QUEUE_URL is not set")
            continue
        arn = queue_arn_from_url(url)
        if mapped.get(arn) != function:
            errors.append(f"queue {arn} is not mapped to {function} in `events`")
        batch = next((e["event_source"].get("batch_size", 10) for e in events
                      if (e.get("event_source") or {}).get("arn") == arn), 10)
        if batch > 10:
            errors.append(f"queue {arn}: batch_size {batch} > 10 needs a batching window")
    if not any(event.get("function") == CLEANUP and event.get("expression") for event in events):
        errors.append(f"no schedule `expression` event for {CLEANUP}")
    return errors


@checks.register(checks.Tags.compatibility, deploy=True)
def sqs_transport_is_configured(app_configs=None, **kwargs):
    if settings.PIPELINE_TRANSPORT != "sqs":
        return []
    return [
        checks.Error(f"PIPELINE_TRANSPORT=sqs but PIPELINE_{step.upper()}_QUEUE_URL is not set",
                     id="pipelines.E001")
        for step in CONSUMERS if not (settings.PIPELINE_QUEUE_URLS or {}).get(step)
    ]
