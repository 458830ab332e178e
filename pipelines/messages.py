"""The plain JSON messages the steps exchange; readable in a queue console or dead-letter view.

    map:    {"step": "map", "pipeline": "sumArray", "runId": "...", "packet": 3, "elements": [...]}
    reduce: {"step": "reduce", "pipeline": "sumArray", "runId": "..."}
    load:   {"step": "load", "pipeline": "sumArray", "runId": "...", "offset": 0}

A load message (a run whose input is an uploaded file, pipelines.uploads) reads the next
slice of the file from byte `offset`; it travels on the map queue, so no queue or consumer
is added to deploy.

Both may carry "requestId": the id of the HTTP request that started the run, so the
consumers' log lines for the run carry it too (one id traces the run across the queues).
A message sent inside a sampled span also carries "trace", that span's X-Ray trace header,
so the step's span joins the same trace (monitoring/tracing.py).
"""

import uuid
from dataclasses import dataclass
from typing import Any

from monitoring.tracing import TRACE_HEADER_MAX_LENGTH, current_trace_header
from pipelines import exact_json

MAP = "map"
REDUCE = "reduce"
LOAD = "load"
STEPS = (MAP, REDUCE, LOAD)
# The queue each step travels on: a load shares the map queue (and its consumer).
QUEUE_OF_STEP = {MAP: MAP, REDUCE: REDUCE, LOAD: MAP}
REQUEST_ID_MAX_LENGTH = 64


class MalformedMessage(ValueError):
    pass


@dataclass(frozen=True)
class StepMessage:
    step: str
    pipeline: str
    run_id: uuid.UUID
    packet: int | None = None
    elements: list[Any] | None = None
    # The elements already encoded (the packet row's text): not encoded a second time.
    elements_json: str | None = None
    request_id: str | None = None
    offset: int | None = None  # load: the byte of the file the slice starts at
    trace: str | None = None  # the sending span's X-Ray trace header, when it was sampled

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "step": self.step,
            "pipeline": self.pipeline,
            "runId": str(self.run_id),
        }
        if self.request_id:
            body["requestId"] = self.request_id
        trace = self.trace or current_trace_header.get()
        if trace:
            body["trace"] = trace
        if self.step == LOAD:
            body["offset"] = self.offset
        if self.step != MAP:
            return exact_json.dumps(body)
        body["packet"] = self.packet
        elements = self.elements_json or exact_json.dumps(self.elements)
        return exact_json.dumps(body)[:-1] + ',"elements":' + elements + "}"


def map_message(
    *,
    pipeline: str,
    run_id,
    packet: int,
    elements: list | None,
    elements_json: str | None = None,
    request_id: str | None = None,
) -> StepMessage:
    return StepMessage(MAP, pipeline, run_id, packet, elements, elements_json, request_id)


def reduce_message(*, pipeline: str, run_id, request_id: str | None = None) -> StepMessage:
    return StepMessage(REDUCE, pipeline, run_id, request_id=request_id)


def load_message(
    *, pipeline: str, run_id, offset: int, request_id: str | None = None
) -> StepMessage:
    return StepMessage(LOAD, pipeline, run_id, request_id=request_id, offset=offset)


def message_parse(body: str, *, expected_step: str | None = None) -> StepMessage:
    try:
        data = exact_json.loads(body)
        step = data["step"]
        if step not in STEPS or (expected_step and QUEUE_OF_STEP[step] != expected_step):
            raise MalformedMessage(f"unexpected step {step!r}")
        run_id = uuid.UUID(data["runId"])
        pipeline = data["pipeline"]
        request_id = data.get("requestId")
        if not isinstance(request_id, str) or len(request_id) > REQUEST_ID_MAX_LENGTH:
            request_id = None  # a trace id, never trusted for anything but logs
        trace = data.get("trace")
        if not isinstance(trace, str) or len(trace) > TRACE_HEADER_MAX_LENGTH:
            trace = None
        if step == REDUCE:
            return StepMessage(REDUCE, pipeline, run_id, request_id=request_id, trace=trace)
        if step == LOAD:
            offset = data["offset"]
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise MalformedMessage("offset must be a byte position")
            return StepMessage(
                LOAD, pipeline, run_id, request_id=request_id, offset=offset, trace=trace
            )
        packet, elements = data["packet"], data["elements"]
        if (
            isinstance(packet, bool)
            or not isinstance(packet, int)
            or not isinstance(elements, list)
        ):
            raise MalformedMessage("packet must be an integer and elements a list")
        return StepMessage(
            MAP, pipeline, run_id, packet, elements, request_id=request_id, trace=trace
        )
    except MalformedMessage:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedMessage(f"not a pipeline message: {exc}") from exc
