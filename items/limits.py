"""The bounds that keep one request cheap, overridable in settings (ITEMS_* names)."""

from django.conf import settings

DEFAULTS = {
    "ITEMS_DEFAULT_PAGE_SIZE": 20,
    "ITEMS_MAX_PAGE_SIZE": 100,
    # Deeper client JSON is refused: Postgres jsonb and Python's json recurse per level.
    "ITEMS_MAX_JSON_DEPTH": 64,
}


def limit(name: str) -> int:
    return getattr(settings, name, DEFAULTS[name])
