"""GraphQL as an attacker (and Apollo Client) uses it: issue 9, items 1 and 3.

Classes of cases:
- fragment expansion: documents whose fragments multiply the work (spread families of 5 to
  29 levels, cyclic and acyclic, cycles, unknown and duplicate fragments) are GraphQL errors
  after work proportional to their text, counted by the limiter itself (no timings here:
  benchmarks/graphql_fragments.py), and a rejected document sent again is not checked again;
- introspection where it is off: `__schema` and `__type`, plain, aliased, in fragments;
- schema leaks through "Did you mean ...?" where introspection is off;
- `__typename` where introspection is off, and Apollo Client 4 (npm) through the book's flow.

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
from graphql import parse
from graphql.language import Visitor, visit

from config.graphql.query_limits import QueryBounds, check_query_bounds
from items.models import Item
from tests.aws_emulator import free_loopback_port
from tests.zappa_lambda import PROJECT_ROOT, zappa_settings_text

JS_DIR = PROJECT_ROOT / "tests" / "js"
BOUNDS = QueryBounds(max_depth=8, max_fields=200, max_aliases=20, max_fragments=30)
LEVELS = [5, 10, 20, 29]
LOOKS_PER_NODE = 4  # 29 levels: the issue's 1.5 KB document (4^29 expansions)


# --- fragment expansion ----------------------------------------------------------------


@pytest.fixture
def graphql(client):
    """Factory: `graphql(query)` POSTs an anonymous query to /graphql (test settings)."""

    def run(query: str):
        return client.post(
            "/graphql", data=json.dumps({"query": query}), content_type="application/json"
        )

    return run


def spread_family(levels: int, bottom: str) -> str:
    """`{ ...Fn }` where F(i) spreads F(i-1) four times: 4^levels expansions of F0."""
    fragments = [f"fragment F0 on Query {{ {bottom} }}"] + [
        f"fragment F{level} on Query {{ " + f"...F{level - 1} " * 4 + "}"
        for level in range(1, levels + 1)
    ]
    return f"{{ ...F{levels} }} " + " ".join(fragments)


FAMILIES = {
    # F0 spreads itself: the cycle made the old walk skip, not stop.
    "cyclic": ("...F0", "Cannot spread fragment 'F0' within itself."),
    # A real field at the bottom: 4^levels fields once expanded.
    "acyclic": ("__typename", "Query selects too many fields: more than 200"),
}
FAMILY_CASES = [
    pytest.param(family, levels, id=f"{family}-{levels}")
    for family in FAMILIES
    for levels in LEVELS
]


class SelectionCounter(Visitor):
    """The size of a document's text, in selections (fields, spreads, inline fragments)."""

    def __init__(self):
        super().__init__()
        self.selections = 0

    def enter_field(self, *_):
        self.selections += 1

    def enter_fragment_spread(self, *_):
        self.selections += 1

    def enter_inline_fragment(self, *_):
        self.selections += 1


def selections_in(document) -> int:
    counter = SelectionCounter()
    visit(document, counter)
    return counter.selections


@pytest.mark.parametrize(("family", "levels"), FAMILY_CASES)
def test_spread_family_is_refused_after_work_linear_in_its_text(family, levels):
    bottom, message = FAMILIES[family]
    document = parse(spread_family(levels, bottom), max_tokens=2000)

    check = check_query_bounds(document, BOUNDS)

    assert [error.message for error in check.errors] == [message]
    # Each selection and definition is looked at a few times (a spread: once in its
    # definition, once for its name, once as an edge, once to add its cost), never 4^levels.
    assert check.nodes_visited <= LOOKS_PER_NODE * (
        selections_in(document) + len(document.definitions)
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_work_per_added_level_is_constant(family):
    bottom, _ = FAMILIES[family]
    visited = [
        check_query_bounds(parse(spread_family(levels, bottom)), BOUNDS).nodes_visited
        for levels in LEVELS
    ]

    per_level = {
        (after - before) / (high - low)
        for before, after, low, high in zip(visited, visited[1:], LEVELS, LEVELS[1:], strict=False)
    }

    assert len(per_level) == 1  # a straight line, while the expansion quadruples per level
    assert per_level.pop() <= 5 * LOOKS_PER_NODE  # a level: one definition, four spreads


@pytest.mark.django_db
@pytest.mark.parametrize(("family", "levels"), FAMILY_CASES)
def test_spread_family_is_a_graphql_error_over_http(graphql, family, levels):
    bottom, message = FAMILIES[family]

    response = graphql(spread_family(levels, bottom))

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == message
    assert response.json()["error"] == message


FRAGMENT_RULE_CASES = {
    "mutual cycle": (
        "{ ...A } fragment A on Query { hello ...B } fragment B on Query { ...C }"
        " fragment C on Query { ...A ...A }",
        "Cannot spread fragment 'A' within itself via 'B', 'C'.",
    ),
    "cycle below fields": (
        '{ item(id: "x") { ...A } } fragment A on Item { id ...B } '
        "fragment B on Item { name ...A }",
        "Cannot spread fragment 'A' within itself via 'B'.",
    ),
    "cycle in an unused fragment": (
        "{ hello } fragment A on Query { ...A ...A ...A ...A }",
        "Cannot spread fragment 'A' within itself.",
    ),
    "cycle through an inline fragment": (
        "{ ...A } fragment A on Query { ... on Query { ...A ...A } }",
        "Cannot spread fragment 'A' within itself.",
    ),
    "unknown fragment": (
        "{ ...A } fragment A on Query { ...Nowhere ...Nowhere }",
        "Unknown fragment 'Nowhere'.",
    ),
    "unknown fragment under fields": (
        "{ items { edges { node { ...Ghost } } } }",
        "Unknown fragment 'Ghost'.",
    ),
    "duplicate fragment names": (
        "{ ...A } fragment A on Query { hello } fragment A on Query { ...A ...A }",
        "There can be only one fragment named 'A'.",
    ),
    "too many fragments": (
        "{ hello } " + " ".join(f"fragment F{number} on Query {{ hello }}" for number in range(31)),
        "Query defines too many fragments: more than 30",
    ),
    "wide fragments spread wide": (
        "{ ...B } fragment A on Query { " + "hello " * 50 + "} "
        "fragment B on Query { ...A ...A ...A ...A ...A }",
        "Query selects too many fields: more than 200",
    ),
    "deep through fragments": (
        "{ ...A } fragment A on Query { items { edges { node { ...B } } } } "
        "fragment B on Item { id } fragment C on Query { ...A }",
        None,
    ),  # within bounds (and valid but for the unused C): the control case
    "depth reached through spreads": (
        "{ a { ...A } } fragment A on Query { b { c { ...B } } } "
        "fragment B on Query { d { e { f { g { h { i } } } } } }",
        "Query is too deep: more than 8 levels",
    ),
    "aliases multiplied by spreads": (
        "{ ...B } fragment A on Query { a: hello b: hello c: hello d: hello e: hello } "
        "fragment B on Query { ...A ...A ...A ...A ...A }",
        "Query uses too many aliases: more than 20",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"), FRAGMENT_RULE_CASES.values(), ids=FRAGMENT_RULE_CASES.keys()
)
def test_fragment_rules_are_applied_before_any_expansion(graphql, query, message):
    check = check_query_bounds(parse(query), BOUNDS)

    assert [error.message for error in check.errors] == ([message] if message else [])
    document = parse(query)
    assert check.nodes_visited <= LOOKS_PER_NODE * (
        selections_in(document) + len(document.definitions)
    )
    if message:
        response = graphql(query)
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        spread_family(29, "...F0"),
        spread_family(29, "__typename"),
        FRAGMENT_RULE_CASES["unknown fragment"][0],
        "{ hello(",
    ],
)
def test_a_rejected_document_sent_again_is_not_checked_again(graphql, query):
    from config.graphql.documents import checked_document, rejected_documents

    graphql(query)
    hits, checked = rejected_documents.cache_info().hits, checked_document.cache_info().misses

    response = graphql(query)

    assert response.status_code == 400
    assert rejected_documents.cache_info().hits == hits + 1
    assert checked_document.cache_info().misses == checked  # not parsed or walked again


def test_rejection_cache_is_bounded_least_recently_used_out():
    from config.graphql.documents import RejectionCache

    cache = RejectionCache(maxsize=2)
    cache.put("a", ("error a",))
    cache.put("b", ("error b",))
    cache.get("a")
    cache.put("c", ("error c",))

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (("error a",), None, ("error c",))
    assert cache.cache_info().currsize == 2


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
    # prod's values (tests/items/test_graphql_endpoint.py checks the prod stage's defaults).
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
