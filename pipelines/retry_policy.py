"""How long a failed message waits before its next attempt: exponential, capped, jittered."""

import random

from django.conf import settings


def retry_delay_seconds(attempt: int) -> float:
    """Delay after the `attempt`-th failure (1-based): base·2^(attempt-1), capped, with jitter
    so a burst of failures does not come back as a burst."""
    base = settings.PIPELINE_RETRY_BACKOFF_SECONDS
    ceiling = settings.PIPELINE_RETRY_BACKOFF_MAX_SECONDS
    delay = min(ceiling, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)
