"""Metric rows per part and minute (local and workers mode) and alarm incidents."""

from django.db import models


class MetricMinute(models.Model):
    """What one process saw of one part in one minute (several rows per minute add up)."""

    part = models.CharField(max_length=64)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    latency_count = models.PositiveIntegerField(default=0)
    latency_sum_ms = models.FloatField(default=0)
    # Events per bucket of monitoring.metrics.LATENCY_BUCKETS_MS.
    latency_buckets = models.JSONField(default=list)

    class Meta:
        verbose_name = "pulse"
        verbose_name_plural = "pulse"
        indexes = [models.Index(fields=["minute", "part"])]

    def __str__(self):
        return f"{self.part} {self.minute:%Y-%m-%d %H:%M}"


class AlarmIncident(models.Model):
    """One incident of one alarm rule: opened once, escalated while it lasts, resolved."""

    rule = models.CharField(max_length=64)
    severity = models.CharField(max_length=16)
    detail = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    level = models.PositiveSmallIntegerField(
        default=0, help_text="Index of the last channel told (email, Slack, SMS)."
    )
    last_notified_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_incident_per_rule",
            )
        ]

    def __str__(self):
        state = "resolved" if self.resolved_at else "open"
        return f"{self.rule} ({state})"
