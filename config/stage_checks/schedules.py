"""The pipelines' scheduled jobs run exactly once per stage: in the main stage, never in its
function stages (`dev_browser`, `dev_workers`)."""

from config.stage_checks.settings_file import companion_of

CLEANUP = "pipelines.lambda_consumers.cleanup"
STALL_WATCH = "pipelines.lambda_consumers.stall_watch"
SCHEDULED_JOBS = (CLEANUP, STALL_WATCH)


def schedule_errors(zappa_settings: dict, stage: str, stage_settings: dict) -> list[str]:
    errors = []
    main_stage = companion_of(zappa_settings, stage)
    for job in SCHEDULED_JOBS:
        schedules = [
            event
            for event in stage_settings.get("events") or []
            if event.get("function") == job and event.get("expression")
        ]
        if main_stage:
            if schedules:
                errors.append(
                    f"{job} is scheduled in '{main_stage}' already; the function "
                    f"stage '{stage}' must not run it a second time"
                )
        elif not schedules:
            errors.append(f"no schedule (`expression`) event runs {job}")
        elif len(schedules) > 1:
            errors.append(f"{len(schedules)} schedule events run {job}; one is enough")
    return errors
