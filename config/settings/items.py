"""Items (docs/contract.md §2.2, §2.3): the bounds that keep one request cheap."""

from config.env import env

# /items and GraphQL items(first:): the page size when none is asked, and the largest one.
ITEMS_DEFAULT_PAGE_SIZE = env.int("ITEMS_DEFAULT_PAGE_SIZE", default=20)
ITEMS_MAX_PAGE_SIZE = env.int("ITEMS_MAX_PAGE_SIZE", default=100)
# Deeper client JSON is refused: Postgres jsonb and Python's json recurse per level.
ITEMS_MAX_JSON_DEPTH = env.int("ITEMS_MAX_JSON_DEPTH", default=64)
