"""The plain JSON messages the steps exchange; readable in a queue console or dead-letter view.

    map:    {"step": "map", "pipeline": "sumArray", "runId": "...", "packet": 3, "elements": [...]}
    map:    {"step": "map", "pipeline": "sumArray", "runId": "...", "packet": 3,
             "range": [12582912, 16777216]}
    reduce: {"step": "reduce", "pipeline": "sumArray", "runId": "..."}

A map message with a "range" instead of "elements" (a run whose input is an uploaded file)
reads the lines starting in bytes [start, end) of the run's file itself
(pipelines.services.ranges): the input text is never copied into a message or the database.

Both may carry "requestId": the id of the HTTP request that started the run, so the
consumers' log lines for the run carry it too (one id traces the run across the queues).
A message sent inside a sampled span also carries "trace", that span's X-Ray trace header,
so the step's span joins the same trace (monitoring/tracing.py).
"""

import uuid
from dataclasses import dataclass, replace
from typing import Any

from monitoring.tracing import TRACE_HEADER_MAX_LENGTH, current_trace_header
from pipelines import exact_json

MAP = "map"
REDUCE = "reduce"
STEPS = (MAP, REDUCE)
QUEUE_OF_STEP = {MAP: MAP, REDUCE: REDUCE}  # the queue each step travels on
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
    byte_range: tuple[int, int] | None = None  # map of a file's range: [start, end) bytes
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
        if self.step != MAP:
            return exact_json.dumps(body)
        body["packet"] = self.packet
        if self.byte_range is not None:
            body["range"] = list(self.byte_range)
            return exact_json.dumps(body)
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


def range_message(
    *, pipeline: str, run_id, packet: int, start: int, end: int, request_id: str | None = None
) -> StepMessage:
    return StepMessage(
        MAP, pipeline, run_id, packet, request_id=request_id, byte_range=(start, end)
    )


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _range_message_parse(data: dict, pipeline: str, run_id, packet, request_id) -> StepMessage:
    byte_range = data["range"]
    if (
        not _is_count(packet)
        or not isinstance(byte_range, list)
        or len(byte_range) != 2
        or not all(_is_count(position) for position in byte_range)
        or byte_range[0] > byte_range[1]
    ):
        raise MalformedMessage("packet must be an integer and range [start, end] bytes")
    start, end = byte_range
    return range_message(
        pipeline=pipeline, run_id=run_id, packet=packet, start=start, end=end, request_id=request_id
    )


def message_parse(body: str, *, expected_step: str | None = None) -> StepMessage:
    message, trace = _message_parse(body, expected_step)
    return replace(message, trace=trace) if trace else message


def _message_parse(body: str, expected_step: str | None) -> tuple[StepMessage, str | None]:
    try:
        data = exact_json.loads(body)
        step = data["step"]
        if step not in STEPS or (expected_step and step != expected_step):
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
            return StepMessage(REDUCE, pipeline, run_id, request_id=request_id), trace
        packet = data["packet"]
        if "range" in data:
            return _range_message_parse(data, pipeline, run_id, packet, request_id), trace
        elements = data["elements"]
        if (
            isinstance(packet, bool)
            or not isinstance(packet, int)
            or not isinstance(elements, list)
        ):
            raise MalformedMessage("packet must be an integer and elements a list")
        return StepMessage(MAP, pipeline, run_id, packet, elements, request_id=request_id), trace
    except MalformedMessage:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedMessage(f"not a pipeline message: {exc}") from exc
