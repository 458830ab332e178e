from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self):
        from monitoring.registry import route_group_register

        route_group_register("api.items", "item", "items")
