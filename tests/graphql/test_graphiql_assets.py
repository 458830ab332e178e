"""GraphiQL's browser assets are ours (config/static/graphiql/): the exact files graphene-django
names, served from the app's static files, never a CDN."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.test.utils import override_script_prefix
from graphene_django.views import GraphQLView

from config.graphql.http import ProjectGraphQLView

VENDORED = Path(__file__).resolve().parents[2] / "config" / "static" / "graphiql"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# The source-map comment removed from the end of two files (see the README beside them).
REMOVED_SUFFIX = {
    "graphiql.min.js": b"\n//# sourceMappingURL=graphiql.min.js.map",
    "graphiql.min.css": b"/*# sourceMappingURL=graphiql.min.css.map*/",
}


def sri(data: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()


def vendored_assets():
    view = GraphQLView
    return [
        (f"whatwg-fetch-{view.whatwg_fetch_version}/fetch.umd.js", view.whatwg_fetch_sri),
        (f"react-{view.react_version}/react.production.min.js", view.react_sri),
        (f"react-dom-{view.react_version}/react-dom.production.min.js", view.react_dom_sri),
        (f"graphiql-{view.graphiql_version}/graphiql.min.js", view.graphiql_sri),
        (f"graphiql-{view.graphiql_version}/graphiql.min.css", view.graphiql_css_sri),
        (
            f"graphql-ws-{view.subscriptions_transport_ws_version}/graphql-ws.min.js",
            view.subscriptions_transport_ws_sri,
        ),
        (
            f"graphiql-plugin-explorer-{view.graphiql_plugin_explorer_version}/"
            "graphiql-plugin-explorer.umd.js",
            view.graphiql_plugin_explorer_sri,
        ),
        (
            f"graphiql-plugin-explorer-{view.graphiql_plugin_explorer_version}/style.css",
            view.graphiql_plugin_explorer_css_sri,
        ),
    ]


@pytest.mark.parametrize(("relative_path", "expected_sri"), vendored_assets())
def test_vendored_file_is_the_one_graphene_django_names(relative_path, expected_sri):
    # given the file graphene-django's view would load from the CDN (version and SRI hash)
    path = VENDORED / relative_path
    assert path.is_file(), f"{relative_path} is not vendored: re-fetch (see the README)"

    # when the removed source-map line is put back
    data = path.read_bytes() + REMOVED_SUFFIX.get(path.name, b"")

    # then it is byte for byte the published file
    assert sri(data) == expected_sri


@pytest.mark.django_db
def test_graphiql_page_loads_every_script_and_style_from_our_static_files(
    client, collected_static, settings
):
    settings.GRAPHIQL_ENABLED = True

    # Served at the root (an earlier Lambda test in this process may have left "/dev/").
    with override_script_prefix("/"):
        page = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT}).content.decode()

    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert len(urls) == 9  # 2 stylesheets, 6 libraries, graphene-django's graphiql.js
    assert all(url.startswith("/static/") for url in urls), urls
    assert "jsdelivr" not in page
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_project_view_uses_the_offline_page():
    assert ProjectGraphQLView.graphiql_template == "graphiql/page.html"
