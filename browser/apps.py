from django.apps import AppConfig


class BrowserConfig(AppConfig):
    name = "browser"

    def ready(self):
        from monitoring.registry import route_group_register

        route_group_register("api.browser", "scraper", "screenshot", "pdf", "card")
