"""Runs whose input is a file the user uploads (docs/pipelines.md "Big inputs").

Two steps: POST /<pipeline>/uploads chooses the file's storage name under the user's own
prefix (never a name the user gives) and answers where to send the file: a presigned S3 POST
when the media storage is S3 (AWS stages), else this API's PUT /<pipeline>/uploads/<id>
which streams the body into the media storage. POST /<pipeline> {"upload": "<uploadId>"}
then starts the run.

The file is not read by the web request (10^7 elements take longer than API Gateway's 29 s):
the run is cut into byte ranges by the file's size, and each range's map reads, validates
and sums its own range, all at once (pipelines.services.ranges).

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

from api.errors import ApiError, NotFound
from monitoring.request_context import current_request_id
from pipelines import exact_json
from pipelines.models import PipelineRun, RunResult, Upload
from pipelines.registry import pipeline_get
from pipelines.services.ranges import run_ranges_create
from pipelines.services.runs import run_finish, run_send_or_leave_to_cleanup
from pipelines.storage import s3_key, storage_is_s3

logger = logging.getLogger(__name__)


def pipeline_body_max_bytes() -> int:
    """The body limit of the pipelines' POSTs: the element limit times the documented
    bytes-per-element budget (within Lambda's 6 MB request payload; checked at start)."""
    return settings.PIPELINE_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


def upload_max_bytes() -> int:
    return settings.PIPELINE_UPLOAD_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


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
    if storage_is_s3(storage):
        # The bucket's own client (django-storages' boto3 resource): same region, endpoint
        # and credentials as the storage. Only this key, only this size range, for a while.
        client = storage.connection.meta.client
        encryption = {"x-amz-server-side-encryption": "AES256"}
        presigned = client.generate_presigned_post(
            Bucket=storage.bucket_name,
            Key=s3_key(storage, name),
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
    if storage_is_s3(default_storage):
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
    """Store the run with the file's byte ranges as its packets and queue every range's map
    at once. Like run_start, `queued` says whether the queue took them (False: the cleanup
    job sends them later). An empty file is a finished run (the sum of nothing)."""
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
                element_count=0,  # counted by the maps: known once every range is read
                packet_size=0,  # packets are byte ranges (PIPELINE_UPLOAD_RANGE_BYTES)
                packet_count=0,
                upload=upload,
                request_id=request_id,
            )
            RunResult.objects.create(run=run, value_json=exact_json.dumps(spec.empty()))
            messages = run_ranges_create(run=run, size=size)
            if not messages:
                run_finish(run.id)
                run.refresh_from_db()
    except IntegrityError:  # a concurrent POST with the same upload won
        raise ApiError("This upload already started a run", status_code=409) from None
    run.queued = True
    if not messages:
        return run
    if connection.in_atomic_block:
        # A caller's transaction: the run exists for the maps only once it commits.
        transaction.on_commit(lambda: run_send_or_leave_to_cleanup(run.id, messages), robust=True)
        run.queued = None
    else:
        run.queued = run_send_or_leave_to_cleanup(run.id, messages)
    return run


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
