"""Captures the browser made and kept (store=1): who asked, when, for which URL, how big."""

from django.conf import settings
from django.db import models


class Capture(models.Model):
    class Kind(models.TextChoices):
        SCREENSHOT = "screenshot"
        PDF = "pdf"
        CARD = "card"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captures",
        help_text="Who asked for it (kept empty if the user is deleted).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_url = models.URLField(
        max_length=2048, blank=True, help_text="The page captured; empty for a social card."
    )
    file = models.FileField(upload_to="captures/%Y/%m/%d/", max_length=255)
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_url or self.file.name}"
