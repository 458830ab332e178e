"""Lambda event builders: they live in benchmarks/lambda_events.py, which the benchmarks run
without the test tree; the tests import them from here as before."""

from benchmarks.lambda_events import (  # noqa: F401
    ACCOUNT_ID,
    REGION,
    api_gateway_event,
    queue_arn,
    scheduled_event,
    sqs_event,
    sqs_messages_event,
    sqs_record,
)
