"""Book chapter "Lambda pipelines": queue-driven map-reduce, replayable and dead-lettered."""

from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the built-in pipelines (plain Python, nothing heavy) and the system checks;
        # in ready(), where Django's docs put registration, once every app's models are loaded.
        from pipelines import builtin, checks  # noqa: F401
