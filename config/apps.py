"""`config` as an installed app, for the things that wire the whole project and so belong
to no app: the stage checks' system check and the `stage_check` command, and the admin's
app config."""

from django.apps import AppConfig
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks

from config.stage_checks.system_check import deploy_check


def admin_discovered() -> None:
    """Import every app's admin module (Django's autodiscover; it runs once)."""
    from django.contrib import admin

    admin.autodiscover()


def _check_admin_app(app_configs, **kwargs):
    # The admin's own checks look at the registered ModelAdmins: register them first.
    admin_discovered()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    """The admin, discovered on its first use instead of at every start-up.

    Django's AdminConfig imports each app's admin module in django.setup(), and with them the
    services their actions call, simplejwt's token admin (which loads django.test) and
    Django's auth forms: about 90 modules a cold Lambda serving /hello or /item never uses.
    The admin's URLconf (config/admin_urls.py) and its system checks discover them instead.
    """

    def ready(self):
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(_check_admin_app, checks.Tags.admin)


class ProjectConfig(AppConfig):
    name = "config"
    label = "project"
    verbose_name = "Project wiring"

    def ready(self):
        from monitoring.registry import route_group_register

        checks.register(deploy_check, checks.Tags.compatibility, deploy=True)
        # The endpoints config/urls.py serves itself, and accounts' (the ground floor, which
        # imports nothing above it, monitoring included: tests/accounts/test_import_graph.py).
        route_group_register("api.graphql", "graphql")
        route_group_register("api.docs", "openapi.json", "docs")
        route_group_register(
            "api.auth", "login", "register", "verify", "token", "logout", "private", "password"
        )
