"""Units of work outside a request (a queue message, a scheduled job) leave one access line and
one metric event each, like requests do: `observed` is the one place that does it."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from monitoring.access import access_recorded
from monitoring.request_context import new_request_id, trace_bound
from monitoring.tracing import traced_span


@contextmanager
def observed(
    part: str,
    *,
    label: str,
    request_id: str | None,
    invocation_id: str | None = None,
    span: str | None = None,
    trace_parent: str | None = None,
    attributes: dict[str, str | int] | None = None,
    log_fields: dict[str, Any] | None = None,
    retried: bool = False,
) -> Iterator[None]:
    """Run the block as one unit of `part` (the metric's part, the access line's `route`).

    Its lines carry `request_id` and `invocation_id`; a span `span` (child of `trace_parent`,
    a message's trace) when sampled; then one access line "<label> <outcome>" with
    `log_fields`, and one metric event. An error of a `retried` unit is not a failure: what
    never succeeds is counted elsewhere (a run's outcome). Exceptions propagate."""
    started = time.perf_counter()
    outcome = "ok"
    spanned = (
        traced_span(span, request_id=request_id, parent_header=trace_parent, attributes=attributes)
        if span
        else nullcontext()
    )
    with trace_bound(request_id=request_id, invocation_id=invocation_id), spanned:
        try:
            yield
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}"
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            failed = int(outcome != "ok")
            access_recorded(
                {
                    "route": part,
                    **(log_fields or {}),
                    "outcome": outcome,
                    "duration_ms": int(duration_ms * 1000) / 1000,
                },
                "%s %s",
                label,
                outcome,
                part=part,
                errors=failed,
                failures=0 if retried else failed,
                duration_ms=duration_ms,
            )


def scheduled_job_run(
    name: str, job: Callable[[], Any], *, invocation_id: str | None = None
) -> Any:
    """Run `job` with a request id of its own, in `invocation_id` (the Lambda invocation, the
    Celery task); observed as part `jobs.<name>`."""
    with observed(
        f"jobs.{name}",
        label=f"scheduled {name}",
        request_id=new_request_id(),
        invocation_id=invocation_id,
    ):
        return job()
