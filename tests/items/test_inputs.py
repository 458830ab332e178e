"""items.inputs, the one input path: its limits come from the environment through settings,
its errors name no request parameter, and each API words them with its own names."""

import json
import os
import textwrap

import pytest

from items.cursors import InvalidCursor, decode_cursor
from items.inputs import InvalidItemField, InvalidPageSize, client_fields, page_size
from tests.helpers import process_report


def items_settings(**environ) -> dict:
    """The items settings evaluated in a clean interpreter with `environ`."""
    code = textwrap.dedent("""
        import json
        from config.settings import items
        print(json.dumps([items.ITEMS_DEFAULT_PAGE_SIZE, items.ITEMS_MAX_PAGE_SIZE,
                          items.ITEMS_MAX_JSON_DEPTH]))
    """)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ITEMS_")}
    env.update(environ)
    return process_report(code, env=env)


def test_the_limits_are_read_from_the_environment():
    assert items_settings() == [20, 100, 64]
    assert items_settings(
        ITEMS_DEFAULT_PAGE_SIZE="5", ITEMS_MAX_PAGE_SIZE="10", ITEMS_MAX_JSON_DEPTH="3"
    ) == [5, 10, 3]


def test_domain_errors_name_no_request_parameter(settings):
    settings.ITEMS_MAX_PAGE_SIZE = 7
    with pytest.raises(InvalidPageSize) as page:
        page_size(8)
    with pytest.raises(InvalidItemField) as field:
        client_fields({"name": 5})
    with pytest.raises(InvalidCursor) as cursor:
        decode_cursor("garbage")

    assert (page.value.message, page.value.fields) == ("Page size must be between 1 and 7", None)
    assert (field.value.field, field.value.fields) == ("name", None)
    assert cursor.value.fields is None


def test_each_api_words_a_page_size_error_with_its_own_parameter(
    client, graphql, auth_headers, settings
):
    # Given a smaller page bound, set at run time (read per request, not at import)
    settings.ITEMS_MAX_PAGE_SIZE = 7

    rest = client.get("/items?limit=8", headers=auth_headers)
    over_graphql = graphql("{ items(first: 8) { edges { node { id } } } }", headers=auth_headers)

    assert (rest.status_code, rest.json()) == (
        400,
        {
            "status": "error",
            "error": "limit must be between 1 and 7",
            "fields": {"limit": "Must be an integer from 1 to 7."},
        },
    )
    assert over_graphql.json()["errors"][0]["message"] == "first must be between 1 and 7"
    assert client.get("/items?limit=7", headers=auth_headers).status_code == 200


def test_the_json_depth_bound_is_a_setting(client, auth_headers, settings):
    settings.ITEMS_MAX_JSON_DEPTH = 2

    deep = client.post(
        "/item",
        data=json.dumps({"a": {"b": {"c": 1}}}),
        headers=auth_headers,
        content_type="application/json",
    )
    shallow = client.post(
        "/item",
        data=json.dumps({"a": {"b": 1}}),
        headers=auth_headers,
        content_type="application/json",
    )

    assert (deep.status_code, deep.json()["error"]) == (
        400,
        "JSON is nested too deeply (more than 2 levels)",
    )
    assert shallow.status_code == 200
