"""Page cursors (docs/contract.md §2.2): a malformed or out-of-range cursor is a 400 "Invalid cursor"
(REST) or the GraphQL error "Invalid cursor", never a 500, on PostgreSQL and on SQLite."""

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from items.cursors import encode_cursor

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


SOME_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
OUT_OF_RANGE = [
    # Valid datetimes whose UTC time is outside years 1-9999 (SQLite's OverflowError).
    pytest.param(cursor_of(f"9999-12-31T23:00:00-05:00|{SOME_ID}"), id="after-9999-in-utc"),
    pytest.param(cursor_of(f"0001-01-01T00:30:00+01:00|{SOME_ID}"), id="before-year-1-in-utc"),
    pytest.param(cursor_of(f"9999-12-31T23:59:59.999999-23:59|{SOME_ID}"), id="max-offset"),
]
MALFORMED = [
    pytest.param(cursor_of(f"2026-01-01T00:00:00|{SOME_ID}"), id="no-offset"),
    pytest.param(cursor_of(f"10000-01-01T00:00:00+00:00|{SOME_ID}"), id="year-10000"),
    pytest.param(cursor_of("2026-01-01T00:00:00+00:00|not-a-uuid"), id="bad-id"),
    pytest.param(cursor_of("2026-01-01T00:00:00+00:00"), id="no-separator"),
    pytest.param("garbage", id="garbage"),
    pytest.param("%%%", id="not-base64"),
]
INVALID_CURSOR = {
    "status": "error",
    "error": "Invalid cursor",
    "fields": {"cursor": "Not a cursor this API returned."},
}


@pytest.mark.parametrize("cursor", OUT_OF_RANGE + MALFORMED)
def test_a_bad_cursor_is_a_400_on_rest(client, auth_headers, make_item, cursor):
    make_item(name="one")

    response = client.get("/items", {"cursor": cursor}, headers=auth_headers)

    assert (response.status_code, response.json()) == (400, INVALID_CURSOR)


@pytest.mark.parametrize("cursor", OUT_OF_RANGE + MALFORMED)
def test_a_bad_cursor_is_a_graphql_error(graphql, auth_headers, make_item, cursor):
    make_item(name="one")

    response = graphql(
        "query($after: String) { items(after: $after) { edges { node { id } } } }",
        variables={"after": cursor},
        headers=auth_headers,
    )

    assert response.json()["errors"][0]["message"] == "Invalid cursor"
    assert response.json()["data"] == {"items": None}


def test_a_cursor_in_another_offset_pages_like_its_utc_form(client, auth_headers, make_item):
    # Given items and the first page's cursor, rewritten with a +05:00 offset
    made = [make_item(name=f"n{number}") for number in range(3)]
    first = client.get("/items?limit=1", headers=auth_headers).json()
    newest = next(item for item in made if str(item.id) == first["items"][0]["itemId"])
    shifted = newest.created_at.astimezone(timezone(timedelta(hours=5)))

    # When the next page is asked with either cursor
    by_utc = client.get("/items", {"cursor": first["next"]}, headers=auth_headers).json()
    by_offset = client.get(
        "/items", {"cursor": encode_cursor(shifted, newest.id)}, headers=auth_headers
    ).json()

    # Then both give the same page
    assert by_offset["items"] == by_utc["items"] and len(by_utc["items"]) == 2


def test_out_of_range_cursors_are_a_400_on_sqlite_too(tmp_path):
    # Given the product on SQLite (the suite itself runs on PostgreSQL in CI), in a subprocess
    cursors = [param.values[0] for param in OUT_OF_RANGE + MALFORMED]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.django.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }

    # When each cursor is sent to REST and GraphQL
    completed = subprocess.run(
        [sys.executable, "-m", "tests.items.sqlite_cursor_probe", *cursors],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then every answer is the "Invalid cursor" error, none a 500
    assert completed.returncode == 0, completed.stderr[-3000:]
    answers = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(answers) == len(cursors)
    for answer in answers:
        assert answer["rest"] == [400, INVALID_CURSOR], answer
        assert answer["graphql"][1]["errors"][0]["message"] == "Invalid cursor", answer


def test_property_no_cursor_text_gives_a_server_error(client, auth_headers, make_item):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    make_item(name="one")
    times = st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
    offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
        lambda minutes: (
            f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"
        )
    )
    edge_times = st.tuples(
        st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59"]), offsets
    ).map("".join)
    cursors = st.one_of(
        st.text(max_size=60),
        st.tuples(
            st.one_of(times, edge_times, st.text(max_size=30)),
            st.one_of(st.uuids().map(str), st.text(max_size=10)),
        ).map(lambda parts: cursor_of("|".join(parts))),
    )

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(cursor=cursors)
    def check(cursor):
        response = client.get("/items", {"cursor": cursor}, headers=auth_headers)
        assert response.status_code in (200, 400), (cursor, response.content[:300])
        if response.status_code == 400:
            assert response.json() == INVALID_CURSOR

    check()
