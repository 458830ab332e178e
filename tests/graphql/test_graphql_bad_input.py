"""Bad GraphQL requests: a JSON error (GraphQL's `errors` and the project's shape), the
right status, never a 500, nothing stored."""

import json

import pytest

from items.models import Item

pytestmark = pytest.mark.django_db


def assert_json_error(response, status, message_part):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert payload["status"] == "error"
    assert message_part in payload["error"]
    assert message_part in payload["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ hello(name: "x") ', "Syntax Error"),
        ("mutation { updateItem(name: ) { id } }", "Syntax Error"),
        ("{ nope }", "Cannot query field 'nope'"),
        ("{ items(first: 99999999999) { edges { node { id } } } }", "Int cannot represent"),
    ],
)
def test_invalid_documents_are_400(graphql, auth_headers, query, message):
    assert_json_error(graphql(query, headers=auth_headers), 400, message)
    assert Item.objects.count() == 0


def test_ordinary_queries_are_within_the_bounds(graphql, auth_headers):
    queries = [
        "{ items(first: 100) { edges { cursor node { id name body data createdAt updatedAt } }"
        " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
        "query { items { edges { node { id } } } ...F } "
        "fragment F on Query { items { edges { node { name } } } }",
    ]
    for query in queries:
        response = graphql(query, headers=auth_headers)
        assert response.status_code == 200
        assert "errors" not in response.json()


def test_query_deeper_than_the_bound_is_a_graphql_error(graphql, auth_headers, settings):
    settings.GRAPHQL_MAX_DEPTH = 3

    response = graphql("{ items { edges { node { id } } } }", headers=auth_headers)

    assert_json_error(response, 400, "Query is too deep: more than 3 levels")


def test_100k_levels_of_nesting_are_refused_fast(graphql, auth_headers):
    query = "{ a" * 100_000 + " }" * 100_000

    response = graphql(query, headers=auth_headers)

    assert_json_error(response, 400, "Document is nested too deeply")


def test_documents_over_the_token_limit_are_refused(graphql, auth_headers):
    query = "{ " + "hello " * 3000 + "}"

    assert_json_error(
        graphql(query, headers=auth_headers), 400, "Document contains more than 2000 tokens"
    )


def test_alias_flood_is_refused(graphql, auth_headers):
    query = "{ " + " ".join(f"a{number}: hello" for number in range(50)) + " }"

    assert_json_error(
        graphql(query, headers=auth_headers), 400, "Query uses too many aliases: more than 20"
    )


def test_field_flood_through_fragments_is_refused(graphql, auth_headers):
    # 3 spreads of 3 spreads of ... each level triples the fields: a small text, a huge query.
    fragments = ["fragment F0 on Query { hello __typename }"] + [
        f"fragment F{level} on Query {{ ...F{level - 1} ...F{level - 1} ...F{level - 1} }}"
        for level in range(1, 9)
    ]
    query = "{ ...F8 } " + " ".join(fragments)

    assert_json_error(
        graphql(query, headers=auth_headers), 400, "Query selects too many fields: more than 200"
    )


def test_fragment_cycle_is_a_validation_error_not_a_crash(graphql, auth_headers):
    query = "{ ...A } fragment A on Query { hello ...B } fragment B on Query { ...A }"

    assert_json_error(graphql(query, headers=auth_headers), 400, "Cannot spread fragment")


def test_too_many_fragments_are_refused(graphql, auth_headers):
    fragments = " ".join(f"fragment F{n} on Query {{ hello }}" for n in range(40))

    assert_json_error(
        graphql("{ hello } " + fragments, headers=auth_headers), 400, "too many fragments"
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "Must provide query string"),
        (b"{not json", 400, "POST body sent invalid JSON"),
        (b"[1, 2]", 400, "not a valid JSON query"),
        (b'"text"', 400, "not a valid JSON query"),
        (b'{"query": 5}', 400, "query must be a string"),
        (b'{"query": "{ hello }", "variables": [1]}', 400, "variables must be a JSON object"),
        (("[" * 100_000 + "]" * 100_000).encode(), 400, "nested too deeply"),
        (
            b'{"query": "{ hello }", "variables": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001,
            400,
            "nested too deeply",
        ),
        (b"\xff\xfe", 400, "codec can't decode"),
    ],
)
def test_bad_bodies_are_json_errors(client, auth_headers, body, status, message):
    response = client.post(
        "/graphql", data=body, content_type="application/json", headers=auth_headers
    )

    assert_json_error(response, status, message)
    assert Item.objects.count() == 0


def test_body_over_the_limit_is_413(client, auth_headers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    query = 'mutation { updateItem(name: "%s") { id } }' % ("x" * 2000)

    response = client.post(
        "/graphql",
        data=json.dumps({"query": query}),
        content_type="application/json",
        headers=auth_headers,
    )

    assert_json_error(response, 413, "Request body is too large")
    assert Item.objects.count() == 0


def test_put_is_405_json(client):
    response = client.put("/graphql", data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


def test_the_standard_introspection_query_is_within_the_bounds(graphql):
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    response = graphql(query)

    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_inflated_by_fragments_is_refused(graphql):
    fragments = ["fragment T0 on __Type { name kind description }"] + [
        f"fragment T{level} on __Type {{ ofType {{ ...T{level - 1} }} "
        f"inputFields {{ type {{ ...T{level - 1} }} }} interfaces {{ ...T{level - 1} }} }}"
        for level in range(1, 8)
    ]
    query = "{ __schema { types { ...T7 } } } " + " ".join(fragments)

    assert_json_error(graphql(query), 400, "Introspection query selects too many fields")
