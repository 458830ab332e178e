"""`GET /`, the front door (docs/contract.md §2.7): where the API's documentation, GraphQL and
the admin are. A page for browsers (the admin's "View site" lands here), JSON for clients."""

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_safe

# (name, URL name, what a newcomer finds there)
LINKS = [
    ("docs", "docs", "the REST API: OpenAPI, tried in the browser (Swagger UI)"),
    ("openapi", "openapi", "the OpenAPI document"),
    ("graphql", "graphql", "GraphQL (GraphiQL in a browser where the stage enables it)"),
    ("admin", "admin:index", "the backoffice"),
    ("health", "health", "the health check"),
]


@require_safe
def index(request):
    # reverse() keeps a stage prefix (SCRIPT_NAME, e.g. /dev on API Gateway).
    links = [(name, reverse(url_name), text) for name, url_name, text in LINKS]
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        items = format_html_join(
            "\n", '<li><a href="{}">{}</a>: {}</li>', ((url, url, text) for _, url, text in links)
        )
        return HttpResponse(
            format_html(
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Serverless Handbook backend</title></head><body>"
                "<h1>Serverless Handbook backend</h1><ul>\n{}\n</ul></body></html>",
                items,
            )
        )
    return JsonResponse({"status": "success", "links": {name: url for name, url, _ in links}})
