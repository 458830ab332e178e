"""Book chapter "Lambda pipelines": queue-driven map-reduce, replayable and dead-lettered."""

from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the built-in pipelines (plain Python, nothing heavy) and the system checks;
        # in ready(), where Django's docs put registration, once every app's models are loaded.
        from monitoring.registry import (
            alarm_rule_register,
            gauge_register,
            health_check_register,
            route_group_register,
        )
        from pipelines import builtin, checks  # noqa: F401

        # By dotted path: monitoring imports them when /health, the dashboard or the alarms
        # first ask, so a cold /hello imports none of the queries.
        health_check_register("broker", "pipelines.health.broker_status")
        gauge_register(
            "backlog",
            "pipelines.selectors.runs_pending_count",
            label="Pipeline backlog (pending runs)",
        )
        gauge_register(
            "dead_letters", "pipelines.selectors.dead_letters_open_count", label="Open dead letters"
        )
        alarm_rule_register("pipelines.alarm_rules.dead_letters_open")
        alarm_rule_register("pipelines.alarm_rules.runs_stuck")
        route_group_register("api.pipelines", "sumArray", "wordCount")
