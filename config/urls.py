"""The HTTP surface (design §2). Paths answer with and without a trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path

from api import views as api_views
from config.lazy_views import lazy_view

urlpatterns = [
    path("", include("hello.urls")),
    path("", include("monitoring.urls")),
    path("", include("accounts.urls")),
    path("", include("items.urls")),
    path("", include("pipelines.urls")),
    path("", include("browser.urls")),
    re_path(r"^openapi\.json/?$", lazy_view("drf_spectacular.views.SpectacularJSONAPIView"),
            name="openapi"),
    path("admin/", admin.site.urls),
    re_path(r"^graphql/?$", lazy_view("items.graphql.http.ProjectGraphQLView"), name="graphql"),
    # Anything else is a JSON 404, also with DEBUG on (Django's debug 404 page is HTML).
    re_path(r"^(?!admin(?:/|$)).*$", api_views.not_found),
]

handler400 = "api.views.bad_request"
handler403 = "api.views.permission_denied"
handler404 = "api.views.not_found"
handler500 = "api.views.server_error"
