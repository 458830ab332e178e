"""Reads: a user's run with its progress and result."""

import uuid
from dataclasses import dataclass
from typing import Any

from api.errors import NotFound
from pipelines import exact_json
from pipelines.models import PipelineRun, RunState


@dataclass(frozen=True)
class RunStatus:
    run: PipelineRun
    elements_reduced: int
    packets_reduced: int
    result: Any  # None until done


def run_get(*, owner, run_id: str, pipeline: str | None = None) -> PipelineRun:
    """The owner's run; another user's run, or an unknown id, is not found."""
    try:
        run_uuid = uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound("Unknown arrayId") from None
    runs = PipelineRun.objects.select_related("result").filter(id=run_uuid, owner=owner)
    if pipeline:
        runs = runs.filter(pipeline=pipeline)
    run = runs.first()
    if run is None:
        raise NotFound("Unknown arrayId")
    return run


def run_status(*, run: PipelineRun) -> RunStatus:
    result = getattr(run, "result", None)
    done = run.state == RunState.DONE and result is not None
    return RunStatus(
        run=run,
        elements_reduced=result.elements_reduced if result else 0,
        packets_reduced=result.packets_reduced if result else 0,
        result=exact_json.loads(result.value_json) if done else None,
    )
