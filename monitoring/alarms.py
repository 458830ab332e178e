"""Alarms that escalate (book chapter "Monitoring serverless apps": alert the engineer).

Rules are evaluated by a scheduled job (Celery beat locally and in workers mode; on AWS the
stack's CloudWatch alarms watch the same signals). An alarm fires once per incident, is
escalated through the configured channels in order (email → Slack → SMS) while it lasts,
each step after ALARM_ESCALATE_AFTER_MINUTES, and sends a resolved message to every channel
it reached when the rule stops firing.
"""

import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from monitoring.models import AlarmIncident, MetricMinute
from monitoring.registry import alarm_rules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Firing:
    rule: str
    severity: str
    detail: str


# --- rules -------------------------------------------------------------------------------


def _part_totals(since, until) -> dict[str, dict]:
    rows = (
        MetricMinute.objects.filter(minute__gte=since, minute__lt=until)
        .values("part")
        .annotate(count=Sum("count"), errors=Sum("errors"))
    )
    return {row["part"]: row for row in rows}


def rules_firing(*, now) -> list[Firing]:
    window_start = now - timedelta(minutes=settings.ALARM_WINDOW_MINUTES)
    firing: list[Firing] = []
    recent = _part_totals(window_start, now + timedelta(minutes=1))
    for part, totals in sorted(recent.items()):
        count, errors = totals["count"] or 0, totals["errors"] or 0
        if count >= settings.ALARM_ERROR_MIN_EVENTS and errors / count > settings.ALARM_ERROR_RATE:
            firing.append(
                Firing(
                    f"error_rate:{part}",
                    "high",
                    f"{part}: {errors} errors in {count} events "
                    f"({errors / count:.0%}) in the last "
                    f"{settings.ALARM_WINDOW_MINUTES} minutes",
                )
            )
    before = _part_totals(window_start - timedelta(hours=1), window_start)
    for part, totals in sorted(before.items()):
        if (totals["count"] or 0) >= settings.ALARM_BUSY_PART_PER_HOUR and not (
            recent.get(part, {}).get("count")
        ):
            firing.append(
                Firing(
                    f"throughput_zero:{part}",
                    "medium",
                    f"{part}: {totals['count']} events in the hour before, none "
                    f"in the last {settings.ALARM_WINDOW_MINUTES} minutes",
                )
            )
    for rule in alarm_rules():  # the features' own (pipelines: dead letters, stuck runs)
        firing.extend(rule(now=now))
    return firing


# --- channels ------------------------------------------------------------------------------


def _email(subject: str, text: str) -> None:
    send_mail(subject, text, None, settings.ALARM_EMAILS)


def _slack(subject: str, text: str) -> None:
    if not settings.ALARM_SLACK_WEBHOOK_URL.startswith(("https://", "http://")):
        raise ValueError("ALARM_SLACK_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        settings.ALARM_SLACK_WEBHOOK_URL,
        method="POST",
        data=json.dumps({"text": f"*{subject}*\n{text}"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def _sms(subject: str, text: str) -> None:
    import boto3  # only a process that escalates to SMS pays for it

    boto3.client("sns").publish(
        TopicArn=settings.ALARM_SMS_TOPIC_ARN, Message=f"{subject}: {text}"[:1400]
    )


def alarm_channels() -> list[tuple[str, Callable[[str, str], None]]]:
    """The configured channels in escalation order."""
    channels = []
    if settings.ALARM_EMAILS:
        channels.append(("email", _email))
    if settings.ALARM_SLACK_WEBHOOK_URL:
        channels.append(("slack", _slack))
    if settings.ALARM_SMS_TOPIC_ARN:
        channels.append(("sms", _sms))
    return channels


def _notify(channel, subject: str, text: str) -> bool:
    name, send = channel
    try:
        send(subject, text)
    except Exception:
        logger.exception("alarm notification by %s failed", name)
        return False
    return True


# --- evaluation ----------------------------------------------------------------------------


def alarms_evaluate(*, now=None) -> dict:
    """Open, escalate and resolve incidents; returns the rules per outcome."""
    now = now or timezone.now()
    stage = settings.STAGE
    channels = alarm_channels()
    firing = {fire.rule: fire for fire in rules_firing(now=now)}
    open_incidents = {
        incident.rule: incident
        for incident in AlarmIncident.objects.filter(resolved_at__isnull=True)
    }
    summary: dict[str, list[str]] = {"opened": [], "escalated": [], "resolved": []}
    escalate_after = timedelta(minutes=settings.ALARM_ESCALATE_AFTER_MINUTES)

    for rule, fire in firing.items():
        incident = open_incidents.get(rule)
        if incident is None:
            try:
                with transaction.atomic():
                    AlarmIncident.objects.create(
                        rule=rule, severity=fire.severity, detail=fire.detail, last_notified_at=now
                    )
            except IntegrityError:
                continue  # another evaluator opened it at the same moment
            if channels:
                _notify(channels[0], f"[{stage}] ALARM {rule}", fire.detail)
            summary["opened"].append(rule)
        elif now - incident.last_notified_at >= escalate_after and (
            incident.level + 1 < len(channels)
        ):
            incident.level += 1
            incident.last_notified_at = now
            incident.detail = fire.detail
            incident.save(update_fields=["level", "last_notified_at", "detail"])
            _notify(
                channels[incident.level],
                f"[{stage}] ESCALATED {rule}",
                f"{fire.detail} (open since {incident.opened_at:%Y-%m-%d %H:%M} UTC)",
            )
            summary["escalated"].append(rule)
    for rule, incident in open_incidents.items():
        if rule in firing:
            continue
        incident.resolved_at = now
        incident.save(update_fields=["resolved_at"])
        for channel in channels[: incident.level + 1]:
            _notify(channel, f"[{stage}] RESOLVED {rule}", incident.detail)
        summary["resolved"].append(rule)
    metrics_purge(now=now)
    return summary


def metrics_purge(*, now) -> int:
    cutoff = now - timedelta(days=settings.METRICS_RETENTION_DAYS)
    deleted, _ = MetricMinute.objects.filter(minute__lt=cutoff).delete()
    return deleted
