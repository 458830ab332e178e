"""The media storage as the pipelines read it: S3 (AWS stages, django-storages) or local files.

Byte ranges are read directly (a ranged GET on S3, a seek locally): django-storages' S3File
would download the whole object for every range."""

from django.core.files.storage import default_storage

COUNT_CHUNK_BYTES = 8 * 1024 * 1024


def storage_is_s3(storage) -> bool:
    return bool(getattr(storage, "bucket_name", None))


def s3_key(storage, name: str) -> str:
    location = (getattr(storage, "location", "") or "").strip("/")
    return f"{location}/{name}" if location else name


def storage_range_read(name: str, start: int, length: int) -> bytes:
    """Bytes [start, start + length) of a stored file; fewer at its end, none past it."""
    if length <= 0:
        return b""
    storage = default_storage
    if storage_is_s3(storage):
        from botocore.exceptions import ClientError  # botocore: only on the S3 path

        try:
            body = storage.bucket.Object(s3_key(storage, name)).get(
                Range=f"bytes={start}-{start + length - 1}"
            )["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # at or past the end
            raise
        try:
            return body.read()
        finally:
            body.close()
    with storage.open(name, "rb") as file:
        file.seek(start)
        return file.read(length)


def storage_newlines_before(name: str, position: int) -> int:
    """How many line breaks the stored file has before byte `position`: a line's number,
    computed only when a failure names it (a scan of the file's start)."""
    count, start = 0, 0
    while start < position:
        data = storage_range_read(name, start, min(COUNT_CHUNK_BYTES, position - start))
        if not data:
            break
        count += data.count(b"\n")
        start += len(data)
    return count
