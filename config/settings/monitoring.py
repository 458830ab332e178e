"""Observability (docs/monitoring.md): metric sinks, StatsD, alarm thresholds and channels."""

from config.env import env

# "emf" (CloudWatch Embedded Metric Format on stdout), "statsd", "db". AWS stages: emf.
METRICS_SINKS = env.list("METRICS_SINKS", default=["db"])
METRICS_NAMESPACE = env("METRICS_NAMESPACE", default="ServerlessHandbook")
METRICS_FLUSH_SECONDS = env.float("METRICS_FLUSH_SECONDS", default=30.0)
METRICS_RETENTION_DAYS = env.int("METRICS_RETENTION_DAYS", default=8)
# StatsD lines go here when set (any sink list): host, port, metric name prefix.
STATSD_HOST = env("STATSD_HOST", default="")
STATSD_PORT = env.int("STATSD_PORT", default=8125)
STATSD_PREFIX = env("STATSD_PREFIX", default="serverless_handbook")

# Alarms: evaluated every ALARMS_EVERY_SECONDS by the scheduled job (Celery beat; on Lambda
# CloudWatch alarms in the stack do the same job). Thresholds:
ALARMS_EVERY_SECONDS = env.int("ALARMS_EVERY_SECONDS", default=60)
ALARM_WINDOW_MINUTES = env.int("ALARM_WINDOW_MINUTES", default=5)
ALARM_ERROR_RATE = env.float("ALARM_ERROR_RATE", default=0.05)
ALARM_ERROR_MIN_EVENTS = env.int("ALARM_ERROR_MIN_EVENTS", default=20)
# A part that had at least this many events in the previous hour and none in the window.
ALARM_BUSY_PART_PER_HOUR = env.int("ALARM_BUSY_PART_PER_HOUR", default=100)
ALARM_RUN_STUCK_MINUTES = env.int("ALARM_RUN_STUCK_MINUTES", default=30)
# Escalation: email, then Slack, then SMS, each after this long without resolution.
ALARM_ESCALATE_AFTER_MINUTES = env.int("ALARM_ESCALATE_AFTER_MINUTES", default=15)
ALARM_EMAILS = env.list("ALARM_EMAILS", default=[])
ALARM_SLACK_WEBHOOK_URL = env("ALARM_SLACK_WEBHOOK_URL", default="")
ALARM_SMS_TOPIC_ARN = env("ALARM_SMS_TOPIC_ARN", default="")
# /health asks the Celery broker at most this often (a load balancer calls it every few s).
HEALTH_BROKER_CACHE_SECONDS = env.int("HEALTH_BROKER_CACHE_SECONDS", default=30)
# Where the pulse dashboard reads: "db" (the db sink's rows) or "cloudwatch" (AWS stages'
# EMF metrics, GetMetricData cached this many seconds per process).
PULSE_SOURCE = env("PULSE_SOURCE", default="db")
PULSE_CACHE_SECONDS = env.int("PULSE_CACHE_SECONDS", default=60)
PULSE_LATENCY_STATISTICS = env.list("PULSE_LATENCY_STATISTICS", default=["p50", "p95"])
