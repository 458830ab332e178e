"""The JSON log line's encoding shortcuts (monitoring.logs) change nothing in the line."""

import io
import json
import logging
import random
from datetime import UTC, datetime, timedelta

from api.timestamps import iso_utc_ms
from monitoring.logs import JsonFormatter, log_timestamp, log_timestamp_ns


def test_the_timestamp_is_the_contracts_format_to_the_millisecond():
    moments = [random.uniform(0, 4e9) for _ in range(20_000)]
    moments += [1.7e9 + 0.9999995, 1.7e9 + 0.0004995, 1.7e9 + 0.0005, 0.0]

    mismatches = [
        moment
        for moment in moments
        if log_timestamp(moment) != iso_utc_ms(datetime.fromtimestamp(moment, UTC))
    ]

    assert mismatches == []


def test_the_access_lines_timestamp_from_nanoseconds_is_the_same_format():
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    moments = [random.randrange(0, 4 * 10**18) for _ in range(20_000)]
    moments += [1_700_000_000_999_999_999, 1_700_000_000_000_999_999, 0]

    mismatches = [
        moment
        for moment in moments
        if log_timestamp_ns(moment) != iso_utc_ms(epoch + timedelta(microseconds=moment // 1000))
    ]

    assert mismatches == []


def test_a_record_written_by_two_handlers_is_formatted_once_and_alike():
    formatter = JsonFormatter()
    calls = []
    encode = formatter._line

    def counting(record):
        calls.append(record)
        return encode(record)

    formatter._line = counting
    streams = [io.StringIO(), io.StringIO()]
    logger = logging.getLogger("tests.monitoring.encoding")
    logger.handlers = []
    for stream in streams:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.propagate = False

    logger.warning("hello %s", "Ann", extra={"route": "api.hello", "status": 200})

    first, second = (stream.getvalue() for stream in streams)
    assert first == second
    assert len(calls) == 1
    line = json.loads(first)
    assert (line["message"], line["route"], line["status"]) == ("hello Ann", "api.hello", 200)
    assert "_json_line" not in line
