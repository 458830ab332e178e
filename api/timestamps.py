"""The contract's one timestamp format (docs/contract.md §2): ISO 8601 UTC, milliseconds, `Z`."""

from datetime import UTC, datetime


def iso_utc_ms(moment: datetime | None) -> str | None:
    """2020-04-16T15:47:34.325Z; None stays None (e.g. a user who never signed in)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
