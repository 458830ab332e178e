"""Start-up checks of the pipelines' timing settings (`manage.py check`, every worker start).

A Celery message is delivered again when its worker has held it unacknowledged longer than
the broker's visibility timeout (Redis, SQS). A retry countdown or a step running longer than
that makes a message come back while it is still waiting or running, again and again.
"""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def visibility_timeout_covers_retries(app_configs=None, **kwargs):
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    visibility = options.get("visibility_timeout")
    if visibility is None:
        return []  # brokers without one (RabbitMQ, the filesystem broker)
    longest_hold = max(
        settings.PIPELINE_RETRY_BACKOFF_MAX_SECONDS, settings.PIPELINE_STEP_TIME_LIMIT
    )
    if visibility <= longest_hold:
        return [
            checks.Error(
                f"CELERY_VISIBILITY_TIMEOUT ({visibility} s) must be longer than the longest time "
                f"a worker holds a pipeline message ({longest_hold:g} s: "
                f"PIPELINE_RETRY_BACKOFF_MAX_SECONDS, PIPELINE_STEP_TIME_LIMIT)",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or lower the backoff ceiling.",
                id="pipelines.E010",
            )
        ]
    return []


# Lambda takes at most 6 MB of request payload; API Gateway may hand the body over
# base64-encoded (x4/3), so a body of more than 4.5 MB may never reach the function.
LAMBDA_BODY_BYTES = 6 * 1000 * 1000 * 3 // 4


@checks.register(checks.Tags.compatibility)
def pipeline_body_limit_fits_lambda(app_configs=None, **kwargs):
    # The parser (DRF) loads when the checks run (manage.py), not at every start (ready()).
    from pipelines.parsers import pipeline_body_max_bytes

    limit = pipeline_body_max_bytes()
    if limit > LAMBDA_BODY_BYTES:
        return [
            checks.Warning(
                f"The pipelines' body limit (PIPELINE_MAX_ELEMENTS x "
                f"PIPELINE_BODY_BYTES_PER_ELEMENT = {limit} bytes) is over what Lambda accepts "
                f"({LAMBDA_BODY_BYTES} bytes once base64-encoded): such bodies fail on AWS",
                hint="Lower PIPELINE_MAX_ELEMENTS or the budget; larger inputs go through an "
                "upload (POST /sumArray/uploads).",
                id="pipelines.W011",
            )
        ]
    return []
