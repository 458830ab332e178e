"""`config` as an installed app, for the two things that wire the whole project and so
belong to no app: the stage checks' system check and the `stage_check` command."""

from django.apps import AppConfig
from django.core import checks

from config.stage_checks import deploy_check


class ProjectConfig(AppConfig):
    name = "config"
    label = "project"
    verbose_name = "Project wiring"

    def ready(self):
        checks.register(deploy_check, checks.Tags.compatibility, deploy=True)
