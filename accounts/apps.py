from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # accounts.openapi (the OpenAPI description of ProjectJWTAuthentication) is imported
        # by config.openapi when the document is generated: drf-spectacular is too heavy
        # for every cold start.
        from accounts import deploy_checks  # noqa: F401  (registers the JWT key checks)
