"""The scope names the apps check, defined once (items, pipelines and browser import them),
with what each lets a client do and the role that grants them to every new user.

No imports: accounts.models and every feature app read this without pulling anything in.
Migration 0003 keeps its own frozen copy, as migrations do.
"""

ITEMS_READ = "items:read"
ITEMS_WRITE = "items:write"
PIPELINES_RUN = "pipelines:run"
BROWSER_USE = "browser:use"

# The scopes the code knows about. Superusers hold all of them even on an empty database.
KNOWN_SCOPES: tuple[str, ...] = (ITEMS_READ, ITEMS_WRITE, PIPELINES_RUN, BROWSER_USE)

SCOPE_DESCRIPTIONS = {
    ITEMS_READ: "Read your items (REST and GraphQL)",
    ITEMS_WRITE: "Create, update and delete your items",
    PIPELINES_RUN: "Start and watch sumArray pipeline runs",
    BROWSER_USE: "Scrape, screenshot and render pages with the headless browser",
}

# What a default role grants when it has to be created (migration 0003 creates `member`).
DEFAULT_ROLE_SCOPES = {
    "member": KNOWN_SCOPES,
}
