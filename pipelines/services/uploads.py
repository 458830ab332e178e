"""Uploads, the input files of big runs (docs/contract.md §2.5, docs/pipelines.md "Big
inputs"): a slot named by the server, the file (a presigned S3 POST, or streamed from this
API's PUT), the owner's quota, and the run started from it. Their expiry is
pipelines/services/upload_expiry.py.

Refusals are domain errors (UploadError); the API adapter (pipelines/api_errors.py)
chooses their status codes. The run's maps read the file's byte ranges themselves
(pipelines/services/ranges.py).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from pipelines.models import PipelineRun, Upload
from pipelines.registry import pipeline_get
from pipelines.services.ranges import run_ranges_create
from pipelines.services.runs import RunStarted, run_store_and_send
from pipelines.storage import s3_key, storage_is_s3


class UploadError(Exception):
    """An upload the service refuses; the message is written for the client."""


class UploadNotFound(UploadError):
    """Unknown, another user's, or expired (docs/contract.md §2.5)."""


class UploadAlreadyStarted(UploadError):
    pass


class UploadTooLarge(UploadError):
    pass


class UploadQuotaExceeded(UploadError):
    """The owner's unstarted uploads would hold more than PIPELINE_UPLOAD_QUOTA_BYTES."""


class UploadEmpty(UploadError):
    pass


class UploadNotSent(UploadError):
    pass


class UploadGoesToS3(UploadError):
    """A PUT while the media storage is S3: the file goes to the presigned POST."""


def upload_max_bytes() -> int:
    return settings.PIPELINE_UPLOAD_MAX_ELEMENTS * settings.PIPELINE_BODY_BYTES_PER_ELEMENT


def _quota_left(*, owner, now, excluding=None) -> int:
    """Bytes the owner may still put into unstarted, unexpired uploads."""
    expiry = now - timedelta(hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS)
    held = (
        Upload.objects.filter(owner=owner, run__isnull=True, created_at__gt=expiry)
        .exclude(id=getattr(excluding, "id", None))
        .aggregate(total=Sum("bytes"))["total"]
    )
    return settings.PIPELINE_UPLOAD_QUOTA_BYTES - (held or 0)


def _quota_refusal(quota_left: int) -> UploadQuotaExceeded:
    return UploadQuotaExceeded(
        f"Your unstarted uploads would hold more than {settings.PIPELINE_UPLOAD_QUOTA_BYTES} "
        f"bytes (the quota; {max(quota_left, 0)} left): start runs from them, or wait "
        f"{settings.PIPELINE_UPLOAD_EXPIRE_HOURS} hours for them to expire"
    )


def _owner_locked(owner) -> None:
    """Serialise one owner's quota decisions (concurrent PUTs or creates of the same user)."""
    type(owner).objects.select_for_update().filter(pk=owner.pk).first()


# --- the upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadTarget:
    upload: Upload
    presigned_post: dict | None  # {"url", "fields"} on S3; None: PUT the body to this API
    max_bytes: int


def upload_create(*, owner, pipeline: str) -> UploadTarget:
    """A new upload slot of `owner`'s, named by the server under the owner's prefix. On S3 the
    file bypasses us, so the slot holds its whole `max_bytes` of the quota until it starts."""
    spec = pipeline_get(pipeline)
    upload_id = uuid.uuid4()
    name = f"{settings.PIPELINE_UPLOAD_PREFIX}/{owner.pk}/{upload_id}.txt"
    storage = default_storage
    with transaction.atomic():
        _owner_locked(owner)
        quota_left = _quota_left(owner=owner, now=timezone.now())
        max_bytes = min(upload_max_bytes(), quota_left)
        if max_bytes < 1:
            raise _quota_refusal(quota_left)
        upload = Upload.objects.create(
            id=upload_id,
            owner=owner,
            pipeline=spec.name,
            storage_name=name,
            bytes=max_bytes if storage_is_s3(storage) else 0,
        )
    presigned = None
    if storage_is_s3(storage):
        # The bucket's own client (django-storages' boto3 resource): same region, endpoint
        # and credentials as the storage. Only this key, 1 to max_bytes bytes, for a while.
        client = storage.connection.meta.client
        encryption = {"x-amz-server-side-encryption": "AES256"}
        presigned = client.generate_presigned_post(
            Bucket=storage.bucket_name,
            Key=s3_key(storage, name),
            Fields=encryption,
            Conditions=[encryption, ["content-length-range", 1, max_bytes]],
            ExpiresIn=settings.PIPELINE_UPLOAD_URL_EXPIRE_SECONDS,
        )
    return UploadTarget(upload=upload, presigned_post=presigned, max_bytes=max_bytes)


def _upload_of(*, owner, pipeline: str, upload_id, lock: bool = False) -> Upload:
    try:
        upload_uuid = uuid.UUID(str(upload_id))
    except ValueError:
        raise UploadNotFound("Unknown uploadId") from None
    uploads = Upload.objects.select_for_update(of=("self",)) if lock else Upload.objects
    upload = uploads.filter(id=upload_uuid, owner=owner, pipeline=pipeline).first()
    if upload is None:
        raise UploadNotFound("Unknown uploadId")
    expiry = timezone.now() - timedelta(hours=settings.PIPELINE_UPLOAD_EXPIRE_HOURS)
    if upload.created_at <= expiry and not PipelineRun.objects.filter(upload=upload).exists():
        raise UploadNotFound(
            f"This upload expired (unstarted uploads are kept "
            f"{settings.PIPELINE_UPLOAD_EXPIRE_HOURS} hours): create a new one"
        )
    return upload


class _LimitedReader:
    """The request body, read in chunks, refused past `max_bytes`."""

    def __init__(self, stream, max_bytes: int, refusal):
        self.stream, self.max_bytes, self.read_bytes = stream, max_bytes, 0
        self.refusal = refusal

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size and size > 0 else 64 * 1024)
        self.read_bytes += len(data)
        if self.read_bytes > self.max_bytes:
            raise self.refusal()
        return data


def upload_store(*, owner, pipeline: str, upload_id, stream, content_length: int | None) -> int:
    """Stream a PUT body into the media storage under the upload's name (the local path; on
    S3 the client posts to the presigned URL instead). Returns the bytes stored. Refuses an
    empty body, and a body past maxBytes or past the owner's quota (nothing is kept then)."""
    upload = _upload_of(owner=owner, pipeline=pipeline, upload_id=upload_id)
    if storage_is_s3(default_storage):
        raise UploadGoesToS3("Send the file to the uploadUrl with the fields the upload answered")
    if PipelineRun.objects.filter(upload=upload).exists():
        raise UploadAlreadyStarted("This upload already started a run")
    quota_left = _quota_left(owner=owner, now=timezone.now(), excluding=upload)
    _announced_length_check(content_length, stream=stream, quota_left=quota_left)
    if default_storage.exists(upload.storage_name):
        default_storage.delete(upload.storage_name)  # a second PUT replaces the first
    Upload.objects.filter(id=upload.id).update(bytes=0)
    return _upload_file_save(owner=owner, upload=upload, stream=stream, quota_left=quota_left)


def _announced_length_check(content_length: int | None, *, stream, quota_left: int) -> None:
    """Refuse at once a body whose Content-Length is already too large, or an empty one."""
    max_bytes = upload_max_bytes()
    if content_length is not None and content_length > max_bytes:
        raise UploadTooLarge(f"The file is too large (more than {max_bytes} bytes)")
    if stream is None or content_length == 0:
        raise UploadEmpty("The file is empty: send at least one line")
    if content_length is not None and content_length > quota_left:
        raise _quota_refusal(quota_left)


def _upload_file_save(*, owner, upload: Upload, stream, quota_left: int) -> int:
    """Save the body, read until maxBytes or the quota; the quota is checked again once the
    size is known, under the owner's lock. Nothing is kept when refused."""
    max_bytes = upload_max_bytes()

    def refusal():
        if max_bytes <= quota_left:
            return UploadTooLarge(f"The file is too large (more than {max_bytes} bytes)")
        return _quota_refusal(quota_left)

    reader = _LimitedReader(stream, min(max_bytes, quota_left), refusal)
    try:
        saved = default_storage.save(upload.storage_name, File(reader, name=upload.storage_name))
        if reader.read_bytes == 0:
            raise UploadEmpty("The file is empty: send at least one line")
        with transaction.atomic():  # concurrent PUTs of one owner: the quota holds for all
            _owner_locked(owner)
            quota_now = _quota_left(owner=owner, now=timezone.now(), excluding=upload)
            if reader.read_bytes > quota_now:
                raise _quota_refusal(quota_now)
            Upload.objects.filter(id=upload.id).update(bytes=reader.read_bytes)
    except UploadError:
        default_storage.delete(upload.storage_name)  # never leave half a file behind
        raise
    if saved != upload.storage_name:  # the storage renamed it: never expected, but say so
        raise RuntimeError(f"storage saved {upload.storage_name!r} as {saved!r}")
    return reader.read_bytes


# --- starting the run ------------------------------------------------------------------------


def run_start_from_upload(*, owner, pipeline: str, upload_id) -> RunStarted:
    """Start a run over an uploaded file: cut it into byte ranges and queue every range's map
    (run_store_and_send: RunStarted.queued as for a JSON array). Raises UploadError."""
    spec = pipeline_get(pipeline)

    def claim() -> dict:
        # Locked until the run is stored: the expiry deletes only an unstarted upload, under
        # the same lock.
        upload = _upload_of(owner=owner, pipeline=spec.name, upload_id=upload_id, lock=True)
        upload.bytes = _upload_startable_size(upload)  # the file's size, from now on
        upload.save(update_fields=["bytes"])
        return {
            "element_count": 0,  # counted by the maps: known once every range is read
            "packet_size": 0,  # packets are byte ranges (PIPELINE_UPLOAD_RANGE_BYTES)
            "packet_count": 0,  # set by run_ranges_create
            "upload": upload,
        }

    try:
        return run_store_and_send(
            spec=spec,
            owner=owner,
            claim=claim,
            first_steps=lambda run: run_ranges_create(run=run, size=run.upload.bytes),
        )
    except IntegrityError:  # a concurrent POST with the same upload won
        raise UploadAlreadyStarted("This upload already started a run") from None


def _upload_startable_size(upload: Upload) -> int:
    """The size of the upload's file, when a run may start from it."""
    if PipelineRun.objects.filter(upload=upload).exists():
        raise UploadAlreadyStarted("This upload already started a run")
    if not default_storage.exists(upload.storage_name):
        raise UploadNotSent("Nothing was uploaded for this uploadId yet: send the file first")
    size = default_storage.size(upload.storage_name)
    if size == 0:
        raise UploadEmpty(f"The upload {upload.id} is empty: there is nothing to run on")
    if size > upload_max_bytes():
        raise UploadTooLarge(
            f"The file is too large ({size} bytes, the limit is {upload_max_bytes()})"
        )
    return size
