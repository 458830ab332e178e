"""The end of uploaded files no run needs (docs/contract.md §2.5, §3.8): unstarted uploads
expire, run files go with their run's input. When a file may go is one rule,
pipelines.selectors.uploads_past_keeping."""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from pipelines.models import Upload
from pipelines.selectors import uploads_past_keeping

logger = logging.getLogger(__name__)


def _file_delete(name: str) -> bool:
    try:
        default_storage.delete(name)
        return True
    except Exception:  # the storage is down: logged, tried again by the next cleanup
        logger.exception("uploaded file %s could not be deleted", name)
        return False


def uploads_expire(*, now=None, batch: int = 500) -> int:
    """Delete the file and the row of uploads that never started a run, once past
    PIPELINE_UPLOAD_EXPIRE_HOURS (the cleanup job). Returns how many went."""
    now = now or timezone.now()
    expired = 0
    unstarted = uploads_past_keeping(now=now).filter(run__isnull=True)
    for upload_id in unstarted.values_list("id", flat=True)[:batch]:
        with transaction.atomic():
            # Under the lock run_start_from_upload takes: a run started meanwhile keeps it.
            upload = (
                uploads_past_keeping(now=now)
                .select_for_update(of=("self",))
                .filter(id=upload_id, run__isnull=True)
                .first()
            )
            if upload is None or not _file_delete(upload.storage_name):
                continue
            upload.delete()
            expired += 1
    return expired


def upload_files_delete(*, run_ids: list) -> int:
    """Delete the uploaded files of these purged runs (the retention job, with their packets'
    text; the rule is selectors.uploads_past_keeping). A file that cannot be deleted now is
    logged and left (its run stays purged)."""
    names = Upload.objects.filter(run__id__in=run_ids).values_list("storage_name", flat=True)
    return sum(_file_delete(name) for name in names)
