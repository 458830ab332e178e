"""The load step of runs whose input is an uploaded file (docs/pipelines.md "Big inputs"; the
upload itself, its run's start and its expiry are pipelines/services/uploads.py).

The file is read by the load step, not by the web request (10^7 elements take longer than
API Gateway's 29 s): one load message per slice of PIPELINE_LOAD_SLICE_BYTES, each reading
its byte range of the file, validating every element (the line is named when one is bad),
storing the slice's packets and queueing their map messages and the next slice's load, all
in one transaction. Memory is one slice, whatever the file's size. Until the last slice is
loaded the run cannot finish (more packets may come).

The file: one or more JSON values per line, separated by commas (CSV of numbers, or JSON
lines); blank lines are skipped.
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from api.errors import ApiError
from api.request_body import decode_json
from pipelines.arithmetic import client_decimal, client_int
from pipelines.messages import StepMessage, load_message, map_message
from pipelines.models import Packet, PipelineRun, RunResult, RunState
from pipelines.registry import InvalidElement, pipeline_get
from pipelines.services.runs import packets_cut, run_fail, run_finish, run_send
from pipelines.services.uploads import s3_key, storage_is_s3

logger = logging.getLogger(__name__)


def pipeline_body_max_bytes() -> int:
    """The body limit of the pipelines' POSTs: the element limit times the documented
    bytes-per-element budget (within Lambda's 6 MB request payload; checked at start)."""
    return settings.PIPELINE_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


# --- the load step ---------------------------------------------------------------------------


class BadLine(ValueError):
    """A line of the file the pipeline cannot take; the message names it."""


def _read_range(name: str, start: int, length: int) -> bytes:
    storage = default_storage
    if storage_is_s3(storage):
        # A ranged GET: django-storages' S3File would download the whole object per slice.
        from botocore.exceptions import ClientError  # botocore: only on the S3 path

        try:
            body = storage.bucket.Object(s3_key(storage, name)).get(
                Range=f"bytes={start}-{start + length - 1}"
            )["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # at or past the end (an empty file, or a slice-sized tail)
            raise
        try:
            return body.read()
        finally:
            body.close()
    with storage.open(name, "rb") as file:
        file.seek(start)
        return file.read(length)


def _decode_line_values(text: str):
    return decode_json(
        ("[" + text + "]").encode(), shape="array", parse_float=client_decimal, parse_int=client_int
    )


def _slice_elements(spec, data: bytes, *, first_line: int) -> list:
    """Every element of the complete lines in `data`, validated. The whole slice is decoded
    at once (fast); when that fails it is gone through line by line to name the line."""
    try:
        text = data.decode("utf-8")
        joined = ",".join(line for line in text.split("\n") if line.strip())
        elements = _decode_line_values(joined) if joined else []
        for element in elements:
            spec.validate_element(element)
        return elements
    except (UnicodeDecodeError, ApiError, InvalidElement):
        pass
    for number, raw in enumerate(data.split(b"\n"), start=first_line):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadLine(f"Line {number} is not UTF-8 text") from None
        if not line.strip():
            continue
        try:
            values = _decode_line_values(line)
        except ApiError as exc:
            raise BadLine(f"Line {number}: {exc.message}") from None
        for position, value in enumerate(values, start=1):
            try:
                spec.validate_element(value)
            except InvalidElement as exc:
                raise BadLine(f"Line {number}, value {position}: {exc}") from None
    raise BadLine("The file could not be read")  # unreachable: the fast path failed somewhere


def run_load_slice(*, message: StepMessage) -> None:
    """Load the slice of the run's file starting at `message.offset`: replayable (a message
    whose offset is not the run's next one changes nothing), one transaction per slice."""
    spec = pipeline_get(message.pipeline)
    slice_bytes = settings.PIPELINE_LOAD_SLICE_BYTES
    to_send: list[StepMessage] = []
    with transaction.atomic():
        run = (
            PipelineRun.objects.select_for_update(of=("self",))
            .select_related("upload")
            .filter(id=message.run_id)
            .first()
        )
        if (
            run is None
            or run.state != RunState.PENDING
            or not run.loading
            or run.load_offset != message.offset
        ):
            return  # a duplicate or stale delivery: that slice is loaded already
        data = _read_range(run.upload.storage_name, run.load_offset, slice_bytes)
        at_end = len(data) < slice_bytes
        if run.load_offset == 0 and data.startswith(b"\xef\xbb\xbf"):
            data = b"   " + data[3:]  # a byte order mark: same length, read as blanks
        if not at_end:
            cut = data.rfind(b"\n")
            if cut < 0:
                _load_fail(run, f"Line {run.load_line + 1} is longer than {slice_bytes} bytes")
                return
            data = data[: cut + 1]
        lines = data.count(b"\n") + (1 if at_end and data and not data.endswith(b"\n") else 0)
        try:
            elements = _slice_elements(spec, data, first_line=run.load_line + 1)
            if run.element_count + len(elements) > settings.PIPELINE_UPLOAD_MAX_ELEMENTS:
                raise BadLine(
                    f"Too many elements: more than "
                    f"{settings.PIPELINE_UPLOAD_MAX_ELEMENTS} (the limit)"
                )
            packets = packets_cut(spec=spec, elements=elements, max_count=run.packet_size)
        except BadLine as exc:
            _load_fail(run, str(exc))
            return
        except ApiError as exc:  # an element no message can hold
            _load_fail(run, f"Lines {run.load_line + 1} to {run.load_line + lines}: {exc.message}")
            return
        del elements
        first_index = run.packet_count
        Packet.objects.bulk_create(
            [
                Packet(run=run, index=first_index + i, elements_json=text, element_count=len(chunk))
                for i, (chunk, text) in enumerate(packets)
            ],
            batch_size=1000,
        )
        now = timezone.now()
        run.packet_count += len(packets)
        run.element_count += sum(len(chunk) for chunk, _ in packets)
        run.load_offset += len(data)
        run.load_line += lines
        if at_end:
            run.loaded_at = now
        run.save(
            update_fields=[
                "packet_count",
                "element_count",
                "load_offset",
                "load_line",
                "loaded_at",
                "updated_at",
            ]
        )
        to_send = [
            map_message(
                pipeline=spec.name,
                run_id=run.id,
                packet=first_index + i,
                elements=None,
                elements_json=text,
                request_id=message.request_id,
            )
            for i, (_, text) in enumerate(packets)
        ]
        del packets
        if at_end:
            # Under the result's lock (as the reducer takes it): every packet may be reduced
            # already, and no reduce would come to finish the run.
            result = RunResult.objects.select_for_update().get(run_id=run.id)
            if result.packets_reduced >= run.packet_count:
                run_finish(run.id)
        else:
            to_send.append(
                load_message(
                    pipeline=spec.name,
                    run_id=run.id,
                    offset=run.load_offset,
                    request_id=message.request_id,
                )
            )
        # A send that fails after the commit leaves the run to the cleanup job's re-drive,
        # which sends its unmapped packets and its next slice again.
        transaction.on_commit(lambda: run_send(run_id=run.id, messages=to_send))


def _load_fail(run: PipelineRun, reason: str) -> None:
    run_fail(run=run, reason=f"The uploaded file cannot be used: {reason}")
    logger.info("pipeline run %s failed while loading: %s", run.id, reason)
