"""What the feature apps declare to accounts, so accounts imports none of them: the scopes their
views require and the per-user rate budgets they count (docs/auth.md, "Scopes" and "Rate limits
per user"). Each app declares its own in `<app>/access_rules.py`; accounts imports those modules
by that name when it first needs the whole list, as the admin finds every `admin.py`."""

from functools import cache

from django.utils.module_loading import autodiscover_modules

DECLARING_MODULE = "access_rules"
# The role every new user gets (migration 0003 creates it): it grants every declared scope.
MEMBER_ROLE = "member"

_scope_descriptions: dict[str, str] = {}
_budgets: dict[str, "RateBudget"] = {}


class RateBudget:
    # A plain class, like monitoring.registry.Gauge: imported by every feature's declarations.
    __slots__ = ("counts_reads", "name", "rate_setting")

    def __init__(self, name: str, *, rate_setting: str | None, counts_reads: bool):
        self.name = name  # the counter's key prefix and the 429's wording ("item-writes")
        # The setting that holds its "<count>/<period>" rate; None: RATE_LIMITS[name].
        self.rate_setting = rate_setting
        # Reads count too where each one costs (a browser GET holds a page for seconds).
        self.counts_reads = counts_reads


def scope_declare(name: str, *, description: str) -> str:
    """A scope the app's views require; returns the name, for the app's constant."""
    _scope_descriptions[name] = description
    return name


def rate_budget_declare(
    name: str, *, rate_setting: str | None = None, counts_reads: bool = False
) -> str:
    """A per-user budget (accounts.throttles.budgets counts it); returns the name."""
    _budgets[name] = RateBudget(name, rate_setting=rate_setting, counts_reads=counts_reads)
    return name


@cache
def _declarations_discover() -> None:
    autodiscover_modules(DECLARING_MODULE)


def known_scopes() -> tuple[str, ...]:
    """Every declared scope. Superusers hold all of them even on an empty database."""
    _declarations_discover()
    return tuple(_scope_descriptions)


def scope_description(name: str) -> str:
    _declarations_discover()
    return _scope_descriptions.get(name, "")


def default_role_scopes(role_name: str) -> tuple[str, ...]:
    """What a default role grants when it has to be created."""
    return known_scopes() if role_name == MEMBER_ROLE else ()


def rate_budget(name: str) -> RateBudget | None:
    _declarations_discover()
    return _budgets.get(name)
