from django.apps import AppConfig


class HelloConfig(AppConfig):
    name = "hello"

    def ready(self):
        from monitoring.registry import route_group_register

        route_group_register("api.hello", "hello")
