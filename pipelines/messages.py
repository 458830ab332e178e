"""The plain JSON messages the steps exchange (docs/pipelines.md "The framework"): a map of
a packet's elements or of a file's byte range, and a reduce. Plain JSON so a queue console
or the dead-letter view shows them as they are; they carry the starting request's id and the
sending span's trace header, so one id follows a run across the queues."""

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
        # A trace id, never trusted for anything but logs.
        request_id = _text_or_none(data.get("requestId"), REQUEST_ID_MAX_LENGTH)
        trace = _text_or_none(data.get("trace"), TRACE_HEADER_MAX_LENGTH)
        if step == REDUCE:
            return StepMessage(REDUCE, pipeline, run_id, request_id=request_id), trace
        return _map_message_parse(data, pipeline, run_id, request_id), trace
    except MalformedMessage:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedMessage(f"not a pipeline message: {exc}") from exc


def _text_or_none(value, max_length: int) -> str | None:
    return value if isinstance(value, str) and len(value) <= max_length else None


def _map_message_parse(data: dict, pipeline: str, run_id, request_id) -> StepMessage:
    packet = data["packet"]
    if "range" in data:
        return _range_message_parse(data, pipeline, run_id, packet, request_id)
    elements = data["elements"]
    if isinstance(packet, bool) or not isinstance(packet, int) or not isinstance(elements, list):
        raise MalformedMessage("packet must be an integer and elements a list")
    return StepMessage(MAP, pipeline, run_id, packet, elements, request_id=request_id)
