"""Runs whose input is a file the user uploads (docs/pipelines.md "Big inputs").

Two steps: POST /<pipeline>/uploads chooses the file's storage name under the user's own
prefix (never a name the user gives) and answers where to send the file: a presigned S3 POST
when the media storage is S3 (AWS stages), else this API's PUT /<pipeline>/uploads/<id>
which streams the body into the media storage. POST /<pipeline> {"upload": "<uploadId>"}
then starts the run.

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
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from api.errors import ApiError, NotFound
from api.request_body import decode_json
from monitoring.request_context import current_request_id
from pipelines import exact_json
from pipelines.arithmetic import client_decimal, client_int
from pipelines.messages import StepMessage, load_message, map_message
from pipelines.models import Packet, PipelineRun, RunResult, RunState, Upload
from pipelines.registry import InvalidElement, pipeline_get
from pipelines.services.runs import (
    packets_cut,
    run_fail,
    run_finish,
    run_send,
    run_send_or_leave_to_cleanup,
)

logger = logging.getLogger(__name__)


def pipeline_body_max_bytes() -> int:
    """The body limit of the pipelines' POSTs: the element limit times the documented
    bytes-per-element budget (within Lambda's 6 MB request payload; checked at start)."""
    return settings.PIPELINE_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


def upload_max_bytes() -> int:
    return settings.PIPELINE_UPLOAD_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


def _storage_is_s3(storage) -> bool:
    return bool(getattr(storage, "bucket_name", None))


def _s3_key(storage, name: str) -> str:
    location = (getattr(storage, "location", "") or "").strip("/")
    return f"{location}/{name}" if location else name


# --- the upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadTarget:
    upload: Upload
    presigned_post: dict | None  # {"url", "fields"} on S3; None: PUT the body to this API
    max_bytes: int


def upload_create(*, owner, pipeline: str) -> UploadTarget:
    """A new upload slot of `owner`'s, named by the server under the owner's prefix."""
    spec = pipeline_get(pipeline)
    upload_id = uuid.uuid4()
    name = f"{settings.PIPELINE_UPLOAD_PREFIX}/{owner.pk}/{upload_id}.txt"
    upload = Upload.objects.create(id=upload_id, owner=owner, pipeline=spec.name, storage_name=name)
    max_bytes = upload_max_bytes()
    storage = default_storage
    presigned = None
    if _storage_is_s3(storage):
        # The bucket's own client (django-storages' boto3 resource): same region, endpoint
        # and credentials as the storage. Only this key, only this size range, for a while.
        client = storage.connection.meta.client
        encryption = {"x-amz-server-side-encryption": "AES256"}
        presigned = client.generate_presigned_post(
            Bucket=storage.bucket_name,
            Key=_s3_key(storage, name),
            Fields=encryption,
            Conditions=[encryption, ["content-length-range", 0, max_bytes]],
            ExpiresIn=settings.PIPELINE_UPLOAD_URL_EXPIRE_SECONDS,
        )
    return UploadTarget(upload=upload, presigned_post=presigned, max_bytes=max_bytes)


def _upload_of(*, owner, pipeline: str, upload_id) -> Upload:
    try:
        upload_uuid = uuid.UUID(str(upload_id))
    except ValueError:
        raise NotFound("Unknown uploadId") from None
    upload = Upload.objects.filter(id=upload_uuid, owner=owner, pipeline=pipeline).first()
    if upload is None:
        raise NotFound("Unknown uploadId")
    return upload


class _LimitedReader:
    """The request body, read in chunks, refused past `max_bytes`."""

    def __init__(self, stream, max_bytes: int):
        self.stream, self.max_bytes, self.read_bytes = stream, max_bytes, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size and size > 0 else 64 * 1024)
        self.read_bytes += len(data)
        if self.read_bytes > self.max_bytes:
            raise ApiError(
                f"The file is too large (more than {self.max_bytes} bytes)", status_code=413
            )
        return data


def upload_store(*, owner, pipeline: str, upload_id, stream, content_length: int | None) -> int:
    """Stream a PUT body into the media storage under the upload's name (the local path; on
    S3 the client posts to the presigned URL instead). Returns the bytes stored."""
    upload = _upload_of(owner=owner, pipeline=pipeline, upload_id=upload_id)
    if _storage_is_s3(default_storage):
        raise ApiError("Send the file to the uploadUrl with the fields the upload answered")
    if hasattr(upload, "run"):
        raise ApiError("This upload already started a run", status_code=409)
    max_bytes = upload_max_bytes()
    if content_length is not None and content_length > max_bytes:
        raise ApiError(f"The file is too large (more than {max_bytes} bytes)", status_code=413)
    if default_storage.exists(upload.storage_name):
        default_storage.delete(upload.storage_name)  # a second PUT replaces the first
    reader = _LimitedReader(stream, max_bytes) if stream is not None else None
    try:
        saved = default_storage.save(
            upload.storage_name, File(reader or _Empty(), name=upload.storage_name)
        )
    except ApiError:
        default_storage.delete(upload.storage_name)  # never leave half a file behind
        raise
    if saved != upload.storage_name:  # the storage renamed it: never expected, but say so
        raise RuntimeError(f"storage saved {upload.storage_name!r} as {saved!r}")
    return reader.read_bytes if reader else 0


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""


# --- starting the run ------------------------------------------------------------------------


def run_start_from_upload(*, owner, pipeline: str, upload_id) -> PipelineRun:
    """Store the run and queue the load of the file's first slice. Like run_start, `queued`
    says whether the queue took it (False: the cleanup job sends it later)."""
    spec = pipeline_get(pipeline)
    upload = _upload_of(owner=owner, pipeline=spec.name, upload_id=upload_id)
    if PipelineRun.objects.filter(upload=upload).exists():
        raise ApiError("This upload already started a run", status_code=409)
    if not default_storage.exists(upload.storage_name):
        raise ApiError(
            "Nothing was uploaded for this uploadId yet: send the file first",
            fields={"upload": "no file"},
        )
    size = default_storage.size(upload.storage_name)
    if size > upload_max_bytes():
        raise ApiError(
            f"The file is too large ({size} bytes, the limit is {upload_max_bytes()})",
            status_code=413,
        )
    request_id = current_request_id.get() or ""
    try:
        with transaction.atomic():
            run = PipelineRun.objects.create(
                pipeline=spec.name,
                owner=owner,
                element_count=0,
                packet_size=settings.PIPELINE_UPLOAD_PACKET_SIZE,
                packet_count=0,
                upload=upload,
                request_id=request_id,
            )
            RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
    except IntegrityError:  # a concurrent POST with the same upload won
        raise ApiError("This upload already started a run", status_code=409) from None
    first = load_message(pipeline=spec.name, run_id=run.id, offset=0, request_id=request_id or None)
    if connection.in_atomic_block:
        # A caller's transaction: the run exists for the load step only once it commits.
        transaction.on_commit(lambda: run_send_or_leave_to_cleanup(run.id, [first]), robust=True)
        run.queued = None
    else:
        run.queued = run_send_or_leave_to_cleanup(run.id, [first])
    return run


# --- the load step ---------------------------------------------------------------------------


class BadLine(ValueError):
    """A line of the file the pipeline cannot take; the message names it."""


def _read_range(name: str, start: int, length: int) -> bytes:
    storage = default_storage
    if _storage_is_s3(storage):
        # A ranged GET: django-storages' S3File would download the whole object per slice.
        from botocore.exceptions import ClientError  # botocore: only on the S3 path

        try:
            body = storage.bucket.Object(_s3_key(storage, name)).get(
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


def upload_files_delete(*, run_ids: list) -> int:
    """Delete the uploaded files of these runs (the retention job, with their packets' text).
    A file that cannot be deleted now is logged and left (its run stays purged)."""
    deleted = 0
    for name in Upload.objects.filter(run__id__in=run_ids).values_list("storage_name", flat=True):
        try:
            default_storage.delete(name)
            deleted += 1
        except Exception:
            logger.exception("uploaded file %s could not be deleted", name)
    return deleted
