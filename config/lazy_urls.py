"""URL wiring that imports view modules on their first request, not at start-up.

Every Lambda cold start resolves its first request through the URLconf. Django's include()
imports the included module at once, and with it every view module, DRF, drf-spectacular...
A cold start serving /hello or /health should not pay for the items API. `lazy_include`
builds the same URLResolver include() would, but leaves the module name as a string, which
Django imports when a request (or reverse(), or the OpenAPI generator) first looks inside.
"""

import re
from functools import cache

from django.urls import URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt


def lazy_include(urlconf_module: str, route: str = "", *, first_segments=()) -> URLResolver:
    """`path(route, include(urlconf_module))` without importing the module yet.

    `first_segments`: the first path segments the URLconf serves (`("item", "items")`). Then a
    request whose path starts otherwise passes this include by without importing it, so the
    first request of a cold start imports only the URLconf that serves it, whatever the order
    (a cold GET /item/{id} used to import the auth views listed before it: ~10 % of its CPU,
    benchmarks/cold_start.py). tests/config/test_lazy_urls.py checks the segments cover every
    pattern. For URLconfs without an app namespace (none of ours has one).
    """
    if not first_segments:
        return URLResolver(RoutePattern(route, is_endpoint=False), urlconf_module)
    alternatives = "|".join(re.escape(segment) for segment in first_segments)
    # A lookahead: it consumes nothing, so the included patterns match the whole path as before.
    guard = _FirstSegmentsGuard(rf"^(?=(?:{alternatives})(?:/|$))", is_endpoint=False)
    return URLResolver(guard, urlconf_module)


class _FirstSegmentsGuard(RegexPattern):
    """Matches as its lookahead says, and reads as an empty prefix: the OpenAPI generators
    (DRF's and drf-spectacular's endpoint enumerators) build each path by joining the
    patterns' strings, and this one adds nothing to the path."""

    def __str__(self) -> str:
        return ""


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
