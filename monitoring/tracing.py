"""X-Ray (staging and prod: `xray_tracing` in zappa_settings.json): each sampled request gets
a `django` subsegment annotated with our request id, so a trace is found from a log line
(annotation `request_id = "…"` in the X-Ray console) and a log line from a trace.

The X-Ray SDK (shipped with Zappa) is imported only by an invocation Lambda sampled
(`Sampled=1` in `_X_AMZN_TRACE_ID`): dev stages and unsampled requests pay nothing.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager


def sampled_by_lambda() -> bool:
    return "Sampled=1" in os.environ.get("_X_AMZN_TRACE_ID", "")


@contextmanager
def xray_subsegment(name: str, *, request_id: str | None) -> Iterator[None]:
    if not sampled_by_lambda():
        yield
        return
    # The X-Ray SDK loads only in a sampled invocation (module docstring).
    from aws_xray_sdk.core import xray_recorder

    subsegment = xray_recorder.begin_subsegment(name)
    try:
        if subsegment is not None and request_id:
            subsegment.put_annotation("request_id", request_id)
        yield
    finally:
        if subsegment is not None:
            xray_recorder.end_subsegment()
