"""What the stage's settings module needs from its environment, and the transport it picks."""

from config.stage_checks.settings_file import effective_environment

AWS_SETTINGS = "config.django.aws"
# The aws settings' default transport (config/django/aws.py).
AWS_DEFAULT_TRANSPORT = "sqs"
# What config.django.aws needs from the stage's environment_variables: without
# ALLOWED_HOSTS every request is a 400; without SECRETS_PREFIX the stage reads another
# project's secret name.
REQUIRED_ENVIRONMENT = ("ALLOWED_HOSTS", "SECRETS_PREFIX")


def required_environment_errors(
    stage: str, stage_settings: dict, env_file_values: dict | None
) -> list[str]:
    """The variables config.django.aws cannot start without."""
    if stage_settings.get("django_settings") != AWS_SETTINGS:
        return []
    values = effective_environment(stage_settings, env_file_values)
    return [
        f"{name} is set neither in environment_variables nor in .env.{stage} "
        f"({AWS_SETTINGS} needs it)"
        for name in REQUIRED_ENVIRONMENT
        if not values.get(name)
    ]


def stage_transport(stage_settings: dict, env_file_values: dict | None = None) -> str:
    """The pipeline transport the stage's settings module will pick."""
    default = (
        AWS_DEFAULT_TRANSPORT if stage_settings.get("django_settings") == AWS_SETTINGS else "celery"
    )
    return (
        effective_environment(stage_settings, env_file_values).get("PIPELINE_TRANSPORT") or default
    )
