"""The /graphql endpoint itself: GraphiQL, introspection switches, and loading lazily."""

import json
import os
import textwrap

import pytest

from benchmarks.lambda_events import api_gateway_event
from tests.helpers import process_report

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
def test_browser_get_shows_graphiql(client, collected_static, settings):
    settings.GRAPHIQL_ENABLED = True

    response = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "graphiql" in response.content.decode().lower()


@pytest.mark.django_db
def test_graphiql_off_answers_json(client, settings):
    settings.GRAPHIQL_ENABLED = False

    response = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Must provide query string."


@pytest.mark.django_db
def test_introspection_can_be_switched_off(client, settings):
    query = json.dumps({"query": "{ __schema { types { name } } }"})
    settings.GRAPHQL_INTROSPECTION_ENABLED = True
    assert client.post("/graphql", data=query, content_type="application/json").json()["data"][
        "__schema"
    ]["types"]

    settings.GRAPHQL_INTROSPECTION_ENABLED = False
    response = client.post("/graphql", data=query, content_type="application/json")

    assert response.status_code == 400
    assert "introspection has been disabled" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_typename_works_with_introspection_off(client, settings, auth_headers):
    # Apollo Client and Relay add __typename to every selection set (docs/contract.md §2.3).
    settings.GRAPHQL_INTROSPECTION_ENABLED = False
    mutation = 'mutation { updateItem(name: "Hat") { id name __typename } __typename }'

    response = client.post(
        "/graphql",
        data=json.dumps({"query": mutation}),
        content_type="application/json",
        headers=auth_headers,
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["__typename"], data["updateItem"]["__typename"]) == ("Mutation", "Item")


@pytest.mark.django_db
@pytest.mark.parametrize(("introspection", "suggested"), [(True, True), (False, False)])
def test_field_suggestions_only_where_introspection_is_on(
    client, settings, introspection, suggested
):
    settings.GRAPHQL_INTROSPECTION_ENABLED = introspection

    response = client.post(
        "/graphql", data=json.dumps({"query": "{ itme { id } }"}), content_type="application/json"
    )

    message = response.json()["errors"][0]["message"]
    assert message.startswith("Cannot query field 'itme' on type 'Query'.")
    assert ("Did you mean 'item'" in message) is suggested


@pytest.mark.django_db
def test_graphiql_through_lambda_uses_the_stage_prefix(dev_lambda):
    response = dev_lambda.http(
        api_gateway_event("GET", "/graphql", headers={"Accept": BROWSER_ACCEPT})
    )

    assert response.status_code == 200
    assert response.header("Content-Type").startswith("text/html")
    assert "/dev/static/graphene_django/graphiql" in response.text


def test_schema_is_built_on_the_first_graphql_request_not_at_start_up():
    code = textwrap.dedent("""
        import json, sys
        import django
        django.setup()
        from django.test import Client
        import config.urls  # noqa: F401  (what every cold start imports)
        client = Client()
        client.get("/hello")
        before = {name: name in sys.modules
                  for name in ("config.graphql.schema", "config.graphql.http")}
        response = client.post("/graphql", data='{"query": "{ hello }"}',
                               content_type="application/json")
        after = {name: name in sys.modules
                 for name in ("config.graphql.schema", "config.graphql.http")}
        print(json.dumps({"before": before, "after": after, "status": response.status_code}))
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.django.test"}
    result = process_report(code, env=env)

    assert result["before"] == {"config.graphql.schema": False, "config.graphql.http": False}
    assert result["after"] == {"config.graphql.schema": True, "config.graphql.http": True}
    assert result["status"] == 200
