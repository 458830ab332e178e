"""The HTTP surface (docs/contract.md §2). Paths answer with and without a trailing slash."""

from django.urls import URLResolver, re_path
from django.urls.resolvers import RoutePattern

from api import views as api_views
from config.lazy_urls import lazy_include, lazy_view

urlpatterns = [
    # Lazy: a cold start imports only the URLconfs tried before its first request matched,
    # so the cheap, often-first paths come first.
    lazy_include("hello.urls"),
    re_path(r"^$", lazy_view("config.index.index"), name="index"),
    lazy_include("monitoring.urls"),
    # path("admin/", admin.site.urls) without building the admin at start-up (config.apps).
    URLResolver(
        RoutePattern("admin/", is_endpoint=False),
        "config.admin_urls",
        app_name="admin",
        namespace="admin",
    ),
    re_path(r"^graphql/?$", lazy_view("config.graphql.http.ProjectGraphQLView"), name="graphql"),
    re_path(
        r"^openapi\.json/?$",
        lazy_view("drf_spectacular.views.SpectacularJSONAPIView"),
        name="openapi",
    ),
    re_path(
        r"^docs/?$",
        lazy_view("drf_spectacular.views.SpectacularSwaggerView", url_name="openapi"),
        name="docs",
    ),
    # Each names the first path segments it serves: a request for another passes it by
    # without importing it (config.lazy_urls).
    lazy_include(
        "accounts.urls",
        first_segments=("login", "register", "verify", "token", "logout", "private", "password"),
    ),
    lazy_include("items.urls", first_segments=("item", "items")),
    lazy_include("pipelines.urls", first_segments=("sumArray", "wordCount")),
    lazy_include(
        "browser.urls", first_segments=("scraper", "screenshot", "pdf", "card", "captures")
    ),
    # Anything else is a JSON 404, also with DEBUG on (Django's debug 404 page is HTML).
    re_path(r"^(?!admin(?:/|$)).*$", api_views.not_found),
]

handler400 = "api.views.bad_request"
handler403 = "api.views.permission_denied"
handler404 = "api.views.not_found"
handler500 = "api.views.server_error"
