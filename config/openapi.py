"""drf-spectacular wiring, loaded only when /openapi.json is generated.

Apps describe their own authentication classes and views to drf-spectacular by subclassing
its extensions; those modules import drf-spectacular and DRF's serializers, so they are
imported here, by a preprocessing hook, instead of at start-up.
"""


def register_app_extensions(endpoints, **kwargs):
    import accounts.openapi  # noqa: F401 - registers the bearer JWT scheme by subclassing

    return endpoints
