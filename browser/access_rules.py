"""What the browser asks of accounts (accounts.registry): its scope and its per-user budget."""

from accounts.registry import rate_budget_declare, scope_declare

BROWSER_USE = scope_declare(
    "browser:use", description="Scrape, screenshot and render pages with the headless browser"
)

# Every request counts, GETs included: each holds a page for seconds.
BROWSER_REQUESTS = rate_budget_declare(
    "browser-requests", rate_setting="BROWSER_THROTTLE_RATE", counts_reads=True
)
