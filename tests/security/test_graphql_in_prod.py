"""GraphQL in prod (issue 9, item 3): introspection off, no "Did you mean" suggestions,
`__typename` on, and Apollo Client 4 (npm) through the book's flow.

The prod cases run twice: in this process with prod's GraphQL settings, and over HTTP against
gunicorn serving the project with `config.django.aws`, STAGE=prod and its secret read from
AWS Secrets Manager (moto's server), i.e. prod's settings modules as deployed, not
overrides of them. That server shares the test database, so it needs PostgreSQL.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from benchmarks.aws_emulator import free_loopback_port
from benchmarks.zappa_settings import zappa_settings_text
from items.models import Item
from tests.helpers import PROJECT_ROOT

JS_DIR = PROJECT_ROOT / "tests" / "js"


# --- prod: introspection off, no suggestions, __typename on ----------------------------


@dataclass
class GraphQLAnswer:
    status: int
    text: str

    def json(self):
        return json.loads(self.text)


def prod_environment(aws, prefix: str, database_url: str, jwt_signing_key: str) -> dict:
    """What a prod instance has: the prod stage's variables as Zappa ships them, AWS
    credentials (here: moto's), and nothing else. The app's secrets are in Secrets Manager."""
    namespace: dict = {}
    exec(zappa_settings_text("prod"), namespace)  # noqa: S102 - Zappa's own generated settings
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/prod",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                # The test process's key, so the tokens it issues are valid there.
                "JWT_SIGNING_KEY": jwt_signing_key,
                "DATABASE_URL": database_url,
            }
        ),
    )
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(PROJECT_ROOT),
        **namespace["ENVIRONMENT_VARIABLES"],
        **aws.environment(),
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        "STAGE": "prod",
        "SECRETS_PREFIX": prefix,
        # API Gateway's host name in prod; this server is reached on loopback.
        "ALLOWED_HOSTS": "127.0.0.1",
    }


@dataclass
class ProdServer:
    url: str
    # API Gateway terminates TLS and says so; prod settings redirect plain HTTP otherwise.
    headers = {"X-Forwarded-Proto": "https"}

    def request(
        self, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> GraphQLAnswer:
        content_type = {"Content-Type": "application/json"} if body is not None else {}
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method="POST" if body is not None else "GET",
            headers={**self.headers, **content_type, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return GraphQLAnswer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return GraphQLAnswer(error.code, error.read().decode())


def shared_database_url() -> str:
    """The test database, for the server process (which must see what the tests commit)."""
    from django.db import connection

    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "postgres")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"])
    return (
        f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.fixture(scope="module")
def prod_server(aws, django_db_setup, tmp_path_factory):
    """gunicorn serving the project with prod's settings, on the test database."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail("the prod server shares the test database: it needs PostgreSQL")
    port = free_loopback_port()
    environ = prod_environment(
        aws,
        f"handbook-prod-{uuid.uuid4().hex[:8]}",
        shared_database_url(),
        settings.SIMPLE_JWT["SIGNING_KEY"],
    )
    log_path = tmp_path_factory.mktemp("prod_server") / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "60",
                "config.wsgi:application",
            ],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ProdServer(f"http://127.0.0.1:{port}")
    try:
        wait_until_healthy(server, process, log_path)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_healthy(server: ProdServer, process: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited {process.returncode}:\n{log_path.read_text()}")
        try:
            answer = server.request("/health")
        except OSError:
            time.sleep(0.2)
            continue
        assert answer.status == 200, answer.text
        assert answer.json()["stage"] == "prod"
        return
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log_path.read_text()}")


@pytest.fixture(params=["in-process", "gunicorn"])
def prod_graphql(request):
    """Factory: `prod_graphql(query)` POSTs an anonymous query to a prod /graphql."""
    if request.param == "gunicorn":
        server = request.getfixturevalue("prod_server")

        def over_http(query: str) -> GraphQLAnswer:
            return server.request("/graphql", json.dumps({"query": query}).encode())

        return over_http
    request.getfixturevalue("db")
    settings = request.getfixturevalue("settings")
    client = request.getfixturevalue("client")
    # prod's values (tests/graphql/test_graphql_endpoint.py checks the prod stage's defaults).
    settings.GRAPHQL_INTROSPECTION_ENABLED = False
    settings.GRAPHIQL_ENABLED = False

    def in_process(query: str) -> GraphQLAnswer:
        response = client.post(
            "/graphql", data=json.dumps({"query": query}), content_type="application/json"
        )
        return GraphQLAnswer(response.status_code, response.content.decode())

    return in_process


INTROSPECTION_CASES = {
    "__schema": "{ __schema { types { name } } }",
    "__type": '{ __type(name: "Item") { fields { name } } }',
    "aliased __schema": "{ schema: __schema { queryType { name } } }",
    "__schema in a fragment": "{ ...F } fragment F on Query { __schema { types { name } } }",
    "__type in an inline fragment": '{ ... on Query { __type(name: "Query") { name } } }',
    "__schema next to a field": "query Q { hello __schema { directives { name } } }",
}


@pytest.mark.parametrize("query", INTROSPECTION_CASES.values(), ids=INTROSPECTION_CASES.keys())
def test_introspection_is_refused_in_prod(prod_graphql, query):
    answer = prod_graphql(query)

    assert answer.status == 400
    message = answer.json()["errors"][0]["message"]
    assert "introspection" in message and "disabled" in message
    assert "data" not in answer.json()


# Each misspelling is one graphql-core would answer with a suggestion naming the schema.
SUGGESTION_CASES = {
    "field on Query": ("{ itme { id } }", "item"),
    "field on a connection": ("{ items { edgs { node { id } } } }", "edges"),
    "field on Item": ('{ item(id: "x") { nmae } }', "name"),
    "argument": ("{ items(frist: 1) { pageInfo { hasNextPage } } }", "first"),
    "mutation field": ('mutation { updateItm(name: "x") { id } }', "updateItem"),
    "variable type": ("query($id: Strin!) { item(id: $id) { id } }", "String"),
    "type condition": ("{ ... on Querry { hello } }", "Query"),
}


@pytest.mark.parametrize(
    ("query", "leaked"), SUGGESTION_CASES.values(), ids=SUGGESTION_CASES.keys()
)
def test_no_suggestions_in_prod(prod_graphql, query, leaked):
    answer = prod_graphql(query)

    assert answer.status == 400
    assert answer.json()["errors"][0]["message"]
    assert "Did you mean" not in answer.text
    assert f"'{leaked}'" not in answer.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "leaked"), SUGGESTION_CASES.values(), ids=SUGGESTION_CASES.keys()
)
def test_suggestions_stay_where_introspection_is_on(graphql, settings, query, leaked):
    # The control: the same misspellings do suggest, so the prod cases prove a removal.
    settings.GRAPHQL_INTROSPECTION_ENABLED = True

    message = graphql(query).json()["errors"][0]["message"]

    assert "Did you mean" in message and f"'{leaked}'" in message


TYPENAME_CASES = {
    "root": ("{ __typename }", {"__typename": "Query"}),
    "next to a field": ("{ hello __typename }", {"hello": "Hello 👋", "__typename": "Query"}),
    "aliased": ("{ kind: __typename }", {"kind": "Query"}),
    "in a fragment": ("{ ...F } fragment F on Query { __typename }", {"__typename": "Query"}),
    "in an inline fragment": ("{ ... on Query { __typename } }", {"__typename": "Query"}),
    "mutation root": ("mutation { __typename }", {"__typename": "Mutation"}),
}


@pytest.mark.parametrize(("query", "data"), TYPENAME_CASES.values(), ids=TYPENAME_CASES.keys())
def test_typename_works_in_prod(prod_graphql, query, data):
    answer = prod_graphql(query)

    assert answer.status == 200, answer.text
    assert answer.json() == {"data": data}


def test_prod_server_runs_prods_settings(prod_server):
    # The settings modules themselves, not overrides: GraphiQL off, errors as JSON.
    answer = prod_server.request("/graphql", headers={"Accept": "text/html"})

    assert answer.status == 400
    assert answer.json()["errors"][0]["message"] == "Must provide query string."


# --- Apollo Client 4 (npm) against prod ------------------------------------------------


def run_apollo_book_flow(server: ProdServer, token: str) -> dict:
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed for the Apollo Client test (Node 20+)")
    if not (JS_DIR / "node_modules" / "@apollo" / "client").is_dir():
        pytest.fail(
            "Apollo Client is not installed: scripts/test runs "
            "`npm ci --prefix tests/js` (or run it yourself)"
        )
    environ = {
        "PATH": os.environ["PATH"],
        "GRAPHQL_URL": f"{server.url}/graphql",
        "GRAPHQL_TOKEN": token,
        "GRAPHQL_HEADERS": json.dumps(server.headers),
    }
    process = subprocess.run(
        ["node", "apollo_book_flow.mjs"],
        cwd=JS_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = process.stdout.strip().splitlines()
    assert lines, process.stderr
    outcome = json.loads(lines[-1])
    assert process.returncode == 0, json.dumps(outcome.get("error"), indent=1)
    return outcome


def test_apollo_client_runs_the_books_flow_against_prod(
    prod_server, transactional_db, make_user, bearer_headers
):
    user = make_user("apollo")
    token = bearer_headers(user)["Authorization"].removeprefix("Bearer ")

    outcome = run_apollo_book_flow(prod_server, token)

    # Apollo Client asked for __typename in every selection set: that is what prod refused.
    assert len(outcome["sent"]) == 5
    assert all("__typename" in document for document in outcome["sent"])
    created = outcome["created"]
    assert (created["name"], created["body"], created["__typename"]) == ("Hat", "Red", "Item")
    assert outcome["fetched"] == {
        "id": created["id"],
        "name": "Hat",
        "body": "Red",
        "data": "{}",
        "__typename": "Item",
    }
    assert [edge["node"]["id"] for edge in outcome["listed"]["edges"]] == [created["id"]]
    assert outcome["listed"]["pageInfo"]["hasNextPage"] is False
    assert outcome["deleted"] == {"id": created["id"], "name": "Hat", "__typename": "Item"}
    assert outcome["afterDelete"] is None
    stored = Item.objects.get(id=created["id"])  # by the prod server, in the shared database
    assert (stored.owner, stored.is_deleted) == (user, True)
