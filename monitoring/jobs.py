"""Scheduled jobs leave one access line and one metric event per run, like requests do."""

import logging
import time
from collections.abc import Callable
from typing import Any

from monitoring.metrics import metric_record
from monitoring.request_context import new_request_id, trace_bound

access_logger = logging.getLogger("monitoring.access")


def scheduled_job_run(name: str, job: Callable[[], Any]) -> Any:
    """Run `job` with a request id of its own; log and measure it (part `jobs.<name>`)."""
    started = time.perf_counter()
    outcome = "ok"
    with trace_bound(request_id=new_request_id()):
        try:
            result = job()
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}"
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            access_logger.info(
                "scheduled %s %s",
                name,
                outcome,
                extra={
                    "route": f"jobs.{name}",
                    "outcome": outcome,
                    "duration_ms": round(duration_ms, 3),
                },
            )
            metric_record(
                part=f"jobs.{name}",
                errors=int(outcome != "ok"),
                failures=int(outcome != "ok"),
                duration_ms=duration_ms,
            )
    return result
