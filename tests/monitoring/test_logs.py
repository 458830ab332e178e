"""JSON log lines: the request id is ours (never the client's), the development server's
access lines say what was served, and a stage's log level is the one zappa_settings.json
gives it."""

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.config.test_stage_secrets import stage_secret_values, zappa_stage_environment
from tests.helpers import PROJECT_ROOT
from tests.helpers.json_log_lines import json_lines_of


@pytest.fixture
def json_lines():
    with json_lines_of("django.server", "tests.monitoring") as lines:
        yield lines


@pytest.mark.django_db(transaction=True)
def test_development_server_access_line_names_method_path_status_and_our_request_id(json_lines):
    # Given the development server's own request handler serving the project
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    # (WSGIHandler directly: get_wsgi_application() would re-run the logging configuration.)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # When a client asks for a page, sending an id of its own
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/hello?name=Ann",
            headers={"X-Request-Id": "client-chosen"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            served_id = response.headers["X-Request-Id"]
        # The server writes its access line after the response has gone out.
        deadline = time.monotonic() + 10
        while not any(line["logger"] == "django.server" for line in json_lines):
            assert time.monotonic() < deadline, "no access line was logged"
            time.sleep(0.02)
    finally:
        server.shutdown()
        server.server_close()

    # Then its access line is JSON with what was served and the id the response carried
    [access] = [line for line in json_lines if line["logger"] == "django.server"]
    assert access["method"] == "GET"
    assert access["path"] == "/hello?name=Ann"
    assert access["status"] == 200
    assert access["request_id"] == served_id
    assert "socket" not in json.dumps(access)
    assert served_id != "client-chosen"


@pytest.mark.django_db
def test_client_sent_request_id_is_kept_apart_never_used_as_ours(client):
    response = client.get("/hello", headers={"X-Request-Id": "forged-id"})

    assert response["X-Request-Id"] != "forged-id"
    assert len(response["X-Request-Id"]) == 32  # a fresh uuid4 hex


def test_client_request_id_is_logged_as_its_own_field(rf, json_lines):
    from monitoring.request_context import RequestIdMiddleware

    def view(request):
        logging.getLogger("tests.monitoring").info("inside the view")
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/anything", headers={"X-Request-Id": "client-trace-7"})
    response = RequestIdMiddleware(view)(request)

    [line] = [line for line in json_lines if line["message"] == "inside the view"]
    assert line["client_request_id"] == "client-trace-7"
    assert line["request_id"] == response["X-Request-Id"] != "client-trace-7"


# --- the stage's log level on Lambda -------------------------------------------------------

LOG_LEVELS_SCRIPT = """
import json, logging, sys, tempfile
from pathlib import Path
from benchmarks.zappa_lambda import ZappaLambda, write_zappa_settings_module
from benchmarks.lambda_events import api_gateway_event

stage = sys.argv[1]
with tempfile.TemporaryDirectory() as directory:
    module = write_zappa_settings_module(Path(directory), stage,
                                         django_settings="config.django.aws", overrides=
                                         json.loads(sys.argv[2]))
    lambda_ = ZappaLambda(module)
    lambda_.invoke(api_gateway_event("GET", "/health", stage=stage))
print(json.dumps({name or "root": logging.getLevelName(logging.getLogger(name).level)
                  for name in ("", "django")}))
"""


@pytest.mark.parametrize(("stage", "level"), [("prod", "WARNING"), ("dev", "INFO")])
def test_lambda_stage_keeps_its_zappa_log_level(aws, tmp_path, stage, level):
    # Given the stage's secret and Zappa's own settings for the stage (prod: log_level WARNING)
    prefix = f"loglevel-{stage}-{tmp_path.name[-8:]}"
    values = stage_secret_values(DATABASE_URL=f"sqlite:///{tmp_path / 'lambda.sqlite3'}")
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/{stage}", SecretString=json.dumps(values)
    )
    environment = {**zappa_stage_environment(stage), "SECRETS_PREFIX": prefix}
    overrides = {"environment_variables": environment}

    # When a cold process starts Django through Zappa's handler with the aws settings
    process = subprocess.run(
        [sys.executable, "-c", LOG_LEVELS_SCRIPT, stage, json.dumps(overrides)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHONPATH": str(PROJECT_ROOT),
            **aws.environment(),
        },
    )

    # Then Django's LOGGING kept the level Zappa set from the stage
    assert process.returncode == 0, process.stderr[-3000:]
    levels = json.loads(process.stdout.strip().splitlines()[-1])
    assert levels == {"root": level, "django": level}


def test_explicit_log_level_wins(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    monkeypatch.setenv("FRAMEWORK", "Zappa")
    namespace: dict = {}
    source = (PROJECT_ROOT / "config" / "settings" / "logging.py").read_text()
    exec(compile(source, "logging_settings", "exec"), namespace)  # noqa: S102 - our settings

    assert namespace["LOG_LEVEL"] == "ERROR"
