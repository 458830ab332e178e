"""The plain JSON messages the steps exchange; readable in a queue console or dead-letter view.

    map:    {"step": "map", "pipeline": "sumArray", "runId": "...", "packet": 3, "elements": [...]}
    reduce: {"step": "reduce", "pipeline": "sumArray", "runId": "..."}
"""

import uuid
from dataclasses import dataclass
from typing import Any

from pipelines import exact_json

MAP = "map"
REDUCE = "reduce"
STEPS = (MAP, REDUCE)


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

    def to_json(self) -> str:
        body: dict[str, Any] = {"step": self.step, "pipeline": self.pipeline,
                                "runId": str(self.run_id)}
        if self.step != MAP:
            return exact_json.dumps(body)
        body["packet"] = self.packet
        elements = self.elements_json or exact_json.dumps(self.elements)
        return exact_json.dumps(body)[:-1] + ',"elements":' + elements + "}"


def map_message(*, pipeline: str, run_id, packet: int, elements: list | None,
                elements_json: str | None = None) -> StepMessage:
    return StepMessage(MAP, pipeline, run_id, packet, elements, elements_json)


def reduce_message(*, pipeline: str, run_id) -> StepMessage:
    return StepMessage(REDUCE, pipeline, run_id)


def message_parse(body: str, *, expected_step: str | None = None) -> StepMessage:
    try:
        data = exact_json.loads(body)
        step = data["step"]
        if step not in STEPS or (expected_step and step != expected_step):
            raise MalformedMessage(f"unexpected step {step!r}")
        run_id = uuid.UUID(data["runId"])
        pipeline = data["pipeline"]
        if step == REDUCE:
            return StepMessage(REDUCE, pipeline, run_id)
        packet, elements = data["packet"], data["elements"]
        if isinstance(packet, bool) or not isinstance(packet, int) or not isinstance(
                elements, list):
            raise MalformedMessage("packet must be an integer and elements a list")
        return StepMessage(MAP, pipeline, run_id, packet, elements)
    except MalformedMessage:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedMessage(f"not a pipeline message: {exc}") from exc
