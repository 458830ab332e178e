"""URL wiring that imports view modules on their first request, not at start-up.

Every Lambda cold start resolves its first request through the URLconf. Django's include()
imports the included module at once, and with it every view module, DRF, drf-spectacular...
A cold start serving /hello or /health should not pay for the items API. `lazy_include`
builds the same URLResolver include() would, but leaves the module name as a string, which
Django imports when a request (or reverse(), or the OpenAPI generator) first looks inside.
"""

from functools import cache

from django.urls import URLResolver
from django.urls.resolvers import RoutePattern
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt


def lazy_include(urlconf_module: str, route: str = "") -> URLResolver:
    """`path(route, include(urlconf_module))` without importing the module yet.

    For URLconfs without an app namespace (none of ours has one).
    """
    return URLResolver(RoutePattern(route, is_endpoint=False), urlconf_module)


def lazy_view(dotted_path: str, **initkwargs):
    """A view imported on first call: a class-based view's path, or a function view's."""

    @cache
    def resolve():
        target = import_string(dotted_path)
        return target.as_view(**initkwargs) if hasattr(target, "as_view") else target

    @csrf_exempt
    def view(request, *args, **kwargs):
        return resolve()(request, *args, **kwargs)

    return view
