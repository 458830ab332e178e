from django.apps import AppConfig
from django.core.signals import setting_changed


def _forget_tokens_on_jwt_settings_change(*, setting, **kwargs):
    if setting in ("SIMPLE_JWT", "JWT_SIGNING_KEY_FALLBACKS"):
        from accounts.authentication import forget_verified_tokens

        forget_verified_tokens()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # accounts.api_docs (the OpenAPI description of ProjectJWTAuthentication) is imported
        # by config.api_docs_hooks when the document is generated: drf-spectacular is too heavy
        # for every cold start.
        setting_changed.connect(_forget_tokens_on_jwt_settings_change,
                                dispatch_uid="accounts.forget_verified_tokens")
        from accounts import deploy_checks  # noqa: F401  (registers the JWT key checks)
