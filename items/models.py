"""An item: an arbitrary JSON object a user stores (book chapter "Creating a REST API")."""

import uuid

from django.conf import settings
from django.db import models


class Item(models.Model):
    """`name` and `body` have their own columns because GraphQL exposes them as fields; every
    other client field lives in `data`. Deleting sets `deleted_at` (restorable in the admin)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="items"
    )
    # NULL means "the client never sent it" (the REST item has no such key), unlike "".
    name = models.TextField(null=True, blank=True)  # noqa: DJ001
    body = models.TextField(null=True, blank=True)  # noqa: DJ001
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    last_updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [
            # The /items and items() pages: one owner's live items, newest first.
            models.Index(fields=["owner", "-created_at", "-id"], name="item_owner_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
