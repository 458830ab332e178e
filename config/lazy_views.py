"""Views whose modules are imported on their first request, not at start-up.

Every Lambda cold start imports the URLconf; a view that pulls in a heavy library (the OpenAPI
generator, the GraphQL schema) should cost only the requests that use it.
"""

from functools import cache

from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt


def lazy_view(dotted_path: str, **initkwargs):
    """`lazy_view("pkg.views.SomeView")` for a class-based view, or a function view's path."""

    @cache
    def resolve():
        target = import_string(dotted_path)
        return target.as_view(**initkwargs) if hasattr(target, "as_view") else target

    @csrf_exempt
    def view(request, *args, **kwargs):
        return resolve()(request, *args, **kwargs)

    return view
