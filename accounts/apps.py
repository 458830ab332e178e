from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # accounts.api_docs (the OpenAPI description of ProjectJWTAuthentication) is imported
        # by config.api_docs_hooks when the document is generated: drf-spectacular is too heavy
        # for every cold start.
        from accounts import deploy_checks  # noqa: F401  (registers the JWT key checks)
