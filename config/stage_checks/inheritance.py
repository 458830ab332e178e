"""Zappa's `extends` is shallow: a stage that redefines a dict setting drops its parent's keys."""

from config.stage_checks.settings_file import stage_resolve


def lost_keys_errors(zappa_settings: dict, stage: str, env_file_values: dict | None) -> list[str]:
    """Dict settings a stage of the chain redefines, dropping keys its parent had (a
    variable `.env.<stage>` supplies is not lost)."""
    errors = []
    name = stage
    while zappa_settings[name].get("extends"):
        parent = zappa_settings[name]["extends"]
        inherited = stage_resolve(zappa_settings, parent)
        for key, own in zappa_settings[name].items():
            if isinstance(own, dict) and isinstance(inherited.get(key), dict):
                supplied = set(env_file_values or {}) if key == "environment_variables" else set()
                lost = sorted(set(inherited[key]) - set(own) - supplied)
                if lost:
                    errors.append(
                        f"`{key}` of stage '{name}' replaces the one of '{parent}' (Zappa's "
                        f"`extends` copies top-level keys, it does not merge them): "
                        f"{', '.join(lost)} are lost; repeat them in '{name}'"
                    )
        name = parent
    return errors
