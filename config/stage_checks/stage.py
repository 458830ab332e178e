"""All the checks of one stage of a Zappa settings file, in the order an operator fixes them."""

from config.stage_checks.environment import required_environment_errors
from config.stage_checks.inheritance import lost_keys_errors
from config.stage_checks.queues import queue_errors, typed_account_values_errors
from config.stage_checks.schedules import schedule_errors
from config.stage_checks.settings_file import StageSettingsError, shape_errors, stage_resolve


def stage_errors(
    zappa_settings: dict,
    stage: str,
    *,
    generated: bool = False,
    env_file_values: dict | None = None,
) -> list[str]:
    """What keeps `stage` of a Zappa settings dict from a safe deploy; [] when nothing.

    `generated=False`: the committed zappa_settings.json, where typed queue ARNs/URLs are
    errors. `generated=True`: a file with the stack's values filled in (as the settings
    callback fills them in at deploy), where every queue the stage's transport uses must have
    exactly one mapped consumer. `env_file_values`: the stage's `.env.<stage>`
    (stage_env_file_values), which supplies variables the settings file does not set."""
    try:
        stage_settings = stage_resolve(zappa_settings, stage)
    except StageSettingsError as exc:
        return [str(exc)]
    shape = shape_errors(stage_settings)
    if shape:
        return shape
    errors = [] if stage_settings.get("django_settings") else ["`django_settings` is not set"]
    errors += lost_keys_errors(zappa_settings, stage, env_file_values)
    errors += required_environment_errors(stage, stage_settings, env_file_values)
    errors += schedule_errors(zappa_settings, stage, stage_settings)
    if generated:
        errors += queue_errors(zappa_settings, stage_settings, env_file_values)
    else:
        errors += typed_account_values_errors(stage_settings)
    return errors
