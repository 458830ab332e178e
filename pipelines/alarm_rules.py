"""The pipelines' alarm rules (docs/monitoring.md "Alarms"), registered with monitoring in
pipelines/apps.py and evaluated with its own by monitoring.alarms.rules_firing."""

from datetime import timedelta

from django.conf import settings

from monitoring.alarms import Firing
from pipelines.selectors import dead_letters_open_count, runs_pending_count


def dead_letters_open(*, now) -> list[Firing]:
    open_letters = dead_letters_open_count()
    if not open_letters:
        return []
    return [
        Firing("dead_letters", "high", f"{open_letters} open dead letters (admin: Dead letters)")
    ]


def runs_stuck(*, now) -> list[Firing]:
    minutes = settings.ALARM_RUN_STUCK_MINUTES
    stuck = runs_pending_count(created_before=now - timedelta(minutes=minutes))
    if not stuck:
        return []
    return [
        Firing(
            "runs_stuck", "medium", f"{stuck} pipeline runs pending for more than {minutes} minutes"
        )
    ]
