"""What the feature apps add to monitoring, so monitoring imports none of them: health checks
(what /health's status depends on), gauges (counts that /health and the pulse dashboard show),
alarm rules and route groups (the part a URL's requests count under). A feature registers them
from its
AppConfig.ready() by dotted path (as django-health-check's backends register in its registry);
they are imported on first use, so a cold start that never asks pays for none of them."""

from collections.abc import Callable

from django.utils.module_loading import import_string


class Gauge:
    # A plain class: @dataclass cost ~0.65 ms more to import here, paid at every cold start.
    __slots__ = ("count_path", "label", "name")

    def __init__(self, name: str, label: str, count_path: str):
        self.name = name  # the key in /health's JSON
        self.label = label  # the pulse dashboard's heading
        self.count_path = count_path  # dotted path to a function () -> int

    @property
    def html_id(self) -> str:
        return self.name.replace("_", "-")

    def count(self) -> int:
        return import_string(self.count_path)()


_health_checks: dict[str, str] = {}  # /health's key → dotted path
_gauges: dict[str, Gauge] = {}
_alarm_rules: dict[str, str] = {}  # dotted path → itself: ordered, registered once
# A request path's first segment → the part its requests count under (the access line's
# `route`, the metrics' Part): monitoring's own and Django's admin, then what apps register.
route_groups: dict[str, str] = {"health": "api.health", "admin": "admin"}
ROUTE_GROUP_OTHER = "api.other"  # a path no app registered


def health_check_register(name: str, status_path: str) -> None:
    """A function () -> str: "ok", "not used", or what is wrong ("error: …"), which makes
    /health 503: register only what this instance cannot serve without."""
    _health_checks[name] = status_path


def gauge_register(name: str, count_path: str, *, label: str) -> None:
    _gauges[name] = Gauge(name, label, count_path)


def alarm_rule_register(rule_path: str) -> None:
    """A function (*, now) -> list[monitoring.alarms.Firing]: the incidents it sees now."""
    _alarm_rules[rule_path] = rule_path


def route_group_register(part: str, *first_segments: str) -> None:
    """Requests whose path starts with one of `first_segments` (`item` for /item/3) count
    under `part`: one name per feature on the dashboard, in the alarms and in the logs."""
    for segment in first_segments:
        route_groups[segment] = part


def health_checks() -> list[tuple[str, Callable[[], str]]]:
    return [(name, import_string(path)) for name, path in _health_checks.items()]


def gauges() -> list[Gauge]:
    return list(_gauges.values())


def alarm_rules() -> list[Callable]:
    return [import_string(path) for path in _alarm_rules]
