"""Reads of the browser app's records."""

from browser.models import Capture


def capture_get(*, owner, capture_id: int) -> Capture | None:
    """The capture if `owner` kept it; None for another user's or a missing one (alike)."""
    return Capture.objects.filter(owner=owner, pk=capture_id).first()
