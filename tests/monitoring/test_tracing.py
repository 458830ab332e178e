"""X-Ray: a sampled Lambda request sends a `django` subsegment annotated with our request id
to the X-Ray daemon address (a UDP socket of the test's on loopback)."""

import json
import os
import socket
import subprocess
import sys

from tests.lambda_events import api_gateway_event
from tests.zappa_lambda import PROJECT_ROOT

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"


def cold_process(event: dict, daemon_port: int, sampled: int, tmp_path):
    environment = {
        **os.environ,
        "HOME": str(tmp_path),
        # What the Lambda runtime sets for a function with active tracing.
        "LAMBDA_TASK_ROOT": str(PROJECT_ROOT),
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled={sampled}",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.zappa_lambda",
            "staging",
            "config.django.test",
            json.dumps(event),
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def daemon() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    return listener


def received(listener: socket.socket) -> list[dict]:
    documents = []
    while True:
        try:
            packet = listener.recv(65535).decode()
        except TimeoutError:
            return documents
        # Each packet: a JSON header line, then the (sub)segment document.
        documents.append(json.loads(packet.split("\n", 1)[1]))


def test_a_sampled_request_sends_a_subsegment_annotated_with_our_request_id(tmp_path):
    listener = daemon()

    process = cold_process(
        api_gateway_event("GET", "/hello", stage="staging"), listener.getsockname()[1], 1, tmp_path
    )

    assert process.returncode == 0, process.stderr[-2000:]
    response = json.loads(process.stdout.strip().splitlines()[-1])
    request_id = {key.lower(): value for key, value in response["headers"].items()}["x-request-id"]
    [subsegment] = [doc for doc in received(listener) if doc.get("name") == "django"]
    assert subsegment["trace_id"] == TRACE_ID
    assert subsegment["annotations"] == {"request_id": request_id}
    listener.close()


def test_an_unsampled_request_sends_nothing(tmp_path):
    listener = daemon()

    process = cold_process(
        api_gateway_event("GET", "/hello", stage="staging"), listener.getsockname()[1], 0, tmp_path
    )

    assert process.returncode == 0, process.stderr[-2000:]
    assert received(listener) == []
    listener.close()
