"""Alarms fire once per incident, escalate email → Slack → SMS while it lasts, and send a
resolved message: against a local SMTP sink, a local webhook server and SNS in moto."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.alarms import Firing, alarms_evaluate, rules_firing
from monitoring.models import AlarmIncident, MetricMinute
from pipelines.models import DeadLetter, PipelineRun
from tests.monitoring.local_servers import SmtpSink, WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(settings, aws):
    smtp, hook = SmtpSink(), WebhookReceiver()
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name="alarms-sms")["TopicArn"]
    # SMS cannot be received here: an SQS queue subscribed to the topic sees what it sends.
    queue = sqs.create_queue(QueueName="alarms-sms-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = False
    settings.ALARM_EMAILS = ["oncall@example.com"]
    settings.ALARM_SLACK_WEBHOOK_URL = hook.url
    settings.ALARM_SMS_TOPIC_ARN = topic
    settings.ALARM_ESCALATE_AFTER_MINUTES = 15

    def sms_messages() -> list[str]:
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"])["Message"] for message in received]

    yield smtp, hook, sms_messages
    smtp.stop()
    hook.stop()


def test_an_alarm_fires_once_escalates_and_resolves(channels):
    smtp, hook, sms_messages = channels
    start = timezone.now()
    letter = DeadLetter.objects.create(source="celery", step="map", body="{}", attempts=10)

    assert alarms_evaluate(now=start)["opened"] == ["dead_letters"]
    assert alarms_evaluate(now=start + timedelta(minutes=1)) == {
        "opened": [],
        "escalated": [],
        "resolved": [],
    }  # once per incident
    assert len(smtp.messages) == 1 and "ALARM dead_letters" in smtp.messages[0]
    assert hook.bodies == []

    assert alarms_evaluate(now=start + timedelta(minutes=16))["escalated"] == ["dead_letters"]
    assert len(hook.bodies) == 1 and "ESCALATED dead_letters" in hook.bodies[0]
    assert alarms_evaluate(now=start + timedelta(minutes=32))["escalated"] == ["dead_letters"]
    [sms] = sms_messages()
    assert "ESCALATED dead_letters" in sms
    assert alarms_evaluate(now=start + timedelta(minutes=48))["escalated"] == []  # no 4th

    letter.resolved_at = timezone.now()
    letter.save()
    assert alarms_evaluate(now=start + timedelta(minutes=50))["resolved"] == ["dead_letters"]
    assert "RESOLVED dead_letters" in smtp.messages[-1] and len(smtp.messages) == 2
    assert "RESOLVED dead_letters" in hook.bodies[-1] and len(hook.bodies) == 2
    assert any("RESOLVED dead_letters" in text for text in sms_messages())
    incident = AlarmIncident.objects.get()
    assert (incident.level, incident.resolved_at is not None) == (2, True)


def test_error_rate_and_silent_busy_parts_fire(channels):
    smtp, _, _ = channels
    now = timezone.now().replace(second=0, microsecond=0)
    buckets = [0] * 12
    MetricMinute.objects.create(
        part="api.items",
        minute=now - timedelta(minutes=1),
        count=40,
        errors=10,
        failures=10,
        latency_buckets=buckets,
    )
    MetricMinute.objects.create(
        part="pipelines.sumArray",
        minute=now - timedelta(minutes=30),
        count=500,
        latency_buckets=buckets,
    )

    opened = alarms_evaluate(now=now)["opened"]

    assert opened == ["error_rate:api.items", "throughput_zero:pipelines.sumArray"]
    assert "10 errors in 40 events (25%)" in smtp.messages[0]


def test_runs_pending_past_the_limit_fire_runs_stuck_and_newer_ones_do_not(user, settings):
    settings.ALARM_RUN_STUCK_MINUTES = 30
    now = timezone.now()
    for age in (31, 29):
        run = PipelineRun.objects.create(
            pipeline="sumArray", owner=user, element_count=1, packet_size=1, packet_count=1
        )
        PipelineRun.objects.filter(id=run.id).update(created_at=now - timedelta(minutes=age))

    assert rules_firing(now=now) == [
        Firing("runs_stuck", "medium", "1 pipeline runs pending for more than 30 minutes")
    ]
