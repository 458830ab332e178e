"""Builders for the events AWS hands a Lambda function: API Gateway (REST v1 proxy), SQS
and EventBridge schedules, shaped as AWS documents them."""

import base64
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


def api_gateway_event(
    method: str,
    path: str,
    *,
    stage: str = "dev",
    headers: dict[str, str] | None = None,
    body: bytes | str | dict | list | None = None,
    json_body=None,
    source_ip: str = "203.0.113.10",
    region: str = REGION,
) -> dict:
    """An API Gateway REST API proxy event. `path` may carry a query string.

    The Host is the execute-api domain, so Zappa serves the app under `/<stage>`.
    """
    split = urlsplit(path)
    query = dict(parse_qsl(split.query, keep_blank_values=True)) or None
    all_headers = {
        "Host": f"abc123.execute-api.{region}.amazonaws.com",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-For": source_ip,
        "User-Agent": "pytest",
    }
    if json_body is not None:
        body = json.dumps(json_body)
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    is_base64 = isinstance(body, bytes)
    encoded_body = base64.b64encode(body).decode() if is_base64 else body
    if isinstance(encoded_body, dict | list):
        encoded_body = json.dumps(encoded_body)
        all_headers.setdefault("Content-Type", "application/json")
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": split.path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {key: [value] for key, value in query.items()} if query else None
        ),
        "pathParameters": {"proxy": split.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": f"/{stage}{split.path}",
            "stage": stage,
            "requestId": request_id,
            "accountId": ACCOUNT_ID,
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": "pytest"},
            "requestTimeEpoch": int(datetime.now(UTC).timestamp() * 1000),
        },
        "body": encoded_body,
        "isBase64Encoded": is_base64,
    }


def queue_arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}"


def sqs_record(
    body: str | dict | list,
    *,
    arn: str,
    receive_count: int = 1,
    message_id: str | None = None,
) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
            "SenderId": ACCOUNT_ID,
            "ApproximateFirstReceiveTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": arn.split(":")[3],
    }


def sqs_event(records: list[dict]) -> dict:
    """An SQS event source mapping batch. Build records with `sqs_record`."""
    return {"Records": records}


def sqs_messages_event(messages: list[dict], *, arn: str) -> dict:
    """An SQS batch built from messages received from a (moto) queue."""
    return sqs_event(
        [
            {
                **sqs_record(message["Body"], arn=arn, message_id=message["MessageId"]),
                "receiptHandle": message["ReceiptHandle"],
                "attributes": {
                    **message.get("Attributes", {}),
                    "ApproximateReceiveCount": message.get("Attributes", {}).get(
                        "ApproximateReceiveCount", "1"
                    ),
                },
            }
            for message in messages
        ]
    )


def scheduled_event(
    function: str,
    *,
    project: str = "serverless-handbook",
    stage: str = "dev",
    kwargs: dict | None = None,
    region: str = REGION,
) -> dict:
    """An EventBridge schedule as Zappa creates it: rule `<project>-<stage>-<function>`, named
    by Zappa's own code (a hash replaces `<project>-<stage>` when that exceeds 63 characters)."""
    from zappa.core import Zappa  # boto3 and more: only where a schedule event is built

    rule = Zappa(load_credentials=False, aws_region=region).get_scheduled_event_name(
        {"function": function}, function, f"{project}-{stage}"
    )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
        "kwargs": kwargs or {},
    }
