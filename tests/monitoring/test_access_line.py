"""The access line: one per request with the fields docs/monitoring.md lists, and the same
line whether LOGGING's handler writes it without a LogRecord (monitoring.logs.log_info_fields)
or another handler gets the ordinary record."""

import io
import json
import logging
import os
from contextlib import contextmanager

import pytest

from monitoring.logs import JsonFormatter, JsonStreamHandler, json_line, log_info_fields
from monitoring.request_context import client_request_id, current_request_id

ACCESS_FIELDS = [
    "timestamp",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "user_id",
    "cold_start",
]


@contextmanager
def handlers_of(logger_name: str, *handlers: logging.Handler):
    logger = logging.getLogger(logger_name)
    saved = logger.handlers, logger.level, logger.propagate
    logger.handlers, logger.level, logger.propagate = list(handlers), logging.INFO, False
    try:
        yield logger
    finally:
        logger.handlers, logger.level, logger.propagate = saved


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_each_request_writes_one_access_line_with_the_contracts_fields(client):
    # Given LOGGING's handler on the access logger
    stream = io.StringIO()
    with handlers_of("monitoring.access", JsonStreamHandler(stream)):
        # When a request is served
        response = client.get("/hello?name=Ann")

    # Then one line says what was served, in the documented order
    [line] = lines_of(stream)
    assert list(line) == ACCESS_FIELDS
    assert (line["logger"], line["level"], line["message"]) == (
        "monitoring.access",
        "INFO",
        "GET /hello 200",
    )
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET",
        "/hello",
        "api.hello",
        200,
    )
    assert line["request_id"] == response["X-Request-Id"]
    assert line["duration_ms"] > 0 and line["user_id"] is None
    assert isinstance(line["cold_start"], bool)


@pytest.mark.parametrize(
    ("path", "part"),
    [
        ("/item/3", "api.items"),
        ("/items", "api.items"),
        ("/graphql", "api.graphql"),
        ("/sumArray/uploads", "api.pipelines"),
        ("/wordCount", "api.pipelines"),
        ("/login", "api.auth"),
        ("/token/refresh", "api.auth"),
        ("/password", "api.auth"),
        ("/screenshot", "api.browser"),
        ("/card", "api.browser"),
        ("/hello", "api.hello"),
        ("/health", "api.health"),
        ("/admin/pipelines/upload/", "admin"),
        ("/openapi.json", "api.docs"),
        ("/docs", "api.docs"),
        ("/nowhere/at/all", "api.other"),
    ],
)
def test_each_feature_registers_the_part_its_paths_count_under(path, part):
    """Each app names its URL segments' part from its AppConfig.ready() (monitoring.registry),
    so monitoring knows no feature's URLs; a path nobody registered counts as api.other."""
    from monitoring.access import route_group

    assert route_group(path) == part


def test_the_line_without_a_record_is_the_line_the_formatter_writes():
    fields = {"method": "GET", "path": "/h\u00e9llo", "route": "api.hello", "status": 200}
    fast, ordinary = io.StringIO(), io.StringIO()
    plain = logging.StreamHandler(ordinary)  # not LOGGING's class: gets the record
    plain.setFormatter(JsonFormatter())
    request_token = current_request_id.set("req-1")
    sent_token = client_request_id.set("client-1")
    try:
        with handlers_of("tests.access", JsonStreamHandler(fast)) as logger:
            log_info_fields(logger, fields, "%s %s %s", "GET", "/h\u00e9llo", 200)
        with handlers_of("tests.access", JsonStreamHandler(fast), plain) as logger:
            log_info_fields(logger, fields, "%s %s %s", "GET", "/h\u00e9llo", 200)
    finally:
        current_request_id.reset(request_token)
        client_request_id.reset(sent_token)

    without_record, with_record = fast.getvalue().splitlines()
    assert with_record == ordinary.getvalue().rstrip("\n")  # one record, formatted once
    assert without_record.isascii()
    first, second = json.loads(without_record), json.loads(with_record)
    assert first.pop("timestamp") <= second.pop("timestamp")
    assert list(first.items()) == list(second.items())
    assert first["client_request_id"] == "client-1" and first["path"] == "/h\u00e9llo"


def test_a_stream_with_a_file_descriptor_gets_whole_lines_in_order(tmp_path):
    # Given LOGGING's handler on a real file, which something else wrote to without flushing
    path = tmp_path / "lines"
    with open(path, "w") as stream:
        stream.write('{"before":1}\n')
        with handlers_of("tests.access", JsonStreamHandler(stream)) as logger:
            # When lines are written without a record, and one through the record path
            log_info_fields(logger, {"status": 200}, "fast %s", "caf\u00e9")
            logger.warning("ordinary")
            log_info_fields(logger, {"status": 201}, "fast again")

    # Then each is one whole line, in the order written, non-ASCII escaped
    text = path.read_text()
    assert text.isascii()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line.get("message") for line in lines] == [
        None,
        "fast caf\u00e9",
        "ordinary",
        "fast again",
    ]


def test_a_closed_stream_never_breaks_the_request(capsys):
    stream = open(os.devnull, "w")  # closed below, before any line
    handler = JsonStreamHandler(stream)
    stream.close()
    with handlers_of("tests.access", handler) as logger:
        log_info_fields(logger, {"status": 200}, "lost")  # handleError reports, never raises

    assert "lost" in capsys.readouterr().err


def test_a_filtered_or_disabled_logger_writes_nothing_without_a_record():
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)
    handler.addFilter(lambda record: record.getMessage() != "drop me")
    with handlers_of("tests.access", handler) as logger:
        log_info_fields(logger, {"status": 200}, "drop me")
        log_info_fields(logger, {"status": 200}, "keep me")
        logger.setLevel(logging.WARNING)
        log_info_fields(logger, {"status": 200}, "too quiet")

    assert [line["message"] for line in lines_of(stream)] == ["keep me"]


@pytest.mark.parametrize(
    "value",
    [
        {"path": "/caf\u00e9", "n": 1.5, "ok": True, "none": None},
        {"ids": {1: "a"}},  # a key orjson refuses
        {"big": 2**70},  # an int past 64 bits
        {"when": __import__("datetime").datetime(2026, 12, 7, 17, 0)},
    ],
)
def test_json_line_writes_what_json_writes_compact_and_ascii(value):
    expected = json.dumps(value, default=str, separators=(",", ":"))

    assert json_line(value) == expected
