"""Runs over an uploaded file read in byte ranges (docs/pipelines.md "Big inputs"): ranges cut
anywhere cover every line once, a range mapped twice counts once, a bad line far into the file
is named by its number, and the files runs still need are listed for the upload expiry."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from pipelines import exact_json
from pipelines.models import PipelineRun, ScratchpadEntry
from pipelines.selectors import uploads_past_keeping
from pipelines.services.range_reading import BadLine, range_lines_read
from pipelines.services.ranges import ranges_cut
from pipelines.services.steps import step_handle
from pipelines.services.uploads import run_start_from_upload
from tests.helpers.pipelines import upload_stored

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_ranges_cut_anywhere_cover_every_line_exactly_once(media_root):
    # Given a file with a byte order mark, CSV and JSON lines, blank lines, a long line and
    # no final line break
    content = b'\xef\xbb\xbf1,2\n\n"x"\n' + b"3," * 20 + b"4\r\n5\n\n6"
    default_storage.save("ranges/file.txt", io.BytesIO(content))

    for range_bytes in range(1, len(content) + 2):
        # When the file is read range by range
        pieces = [
            range_lines_read(name="ranges/file.txt", start=start, end=end, max_line_bytes=100)
            for start, end in ranges_cut(size=len(content), range_bytes=range_bytes)
        ]

        # Then the ranges' lines, in order, are the file (the mark read as blanks), and each
        # piece says where in the file it starts
        assert b"".join(piece.data for piece in pieces) == b"   " + content[3:], range_bytes
        for piece in pieces:
            if piece.data:
                assert piece.data == (b"   " + content[3:])[piece.position :][: len(piece.data)]


def test_a_line_longer_than_the_limit_is_refused_where_it_starts(media_root):
    content = b"1\n" + b"2" * 50 + b"\n3\n"
    default_storage.save("ranges/long.txt", io.BytesIO(content))

    with pytest.raises(BadLine) as raised:
        range_lines_read(name="ranges/long.txt", start=0, end=10, max_line_bytes=40)

    assert (raised.value.position, raised.value.problem) == (2, " is longer than 40 bytes")
    # The ranges inside the long line own no line: they read nothing
    inside = range_lines_read(name="ranges/long.txt", start=10, end=20, max_line_bytes=40)
    assert inside.data == b""


def test_a_bad_line_far_into_the_file_is_named_by_its_number(
    client, auth_headers, sqs_lambda, media_root, settings, user
):
    # Given 1000 lines in ranges of 64 bytes, the 777th not a number
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 64
    lines = [str(n) for n in range(1000)]
    lines[776] = "true"
    upload = upload_stored(user, ("\n".join(lines) + "\n").encode())

    run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=upload.id).run
    sqs_lambda.drain()

    run.refresh_from_db()
    assert run.state == "failed"
    assert run.failure_reason == (
        "The uploaded file cannot be used: Line 777, value 1: it is a boolean, not a number"
    )


def test_a_range_mapped_twice_counts_once(sqs_lambda, media_root, settings, user):
    # Given a run over a file in 3 ranges, every batch delivered twice (at least once)
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 100
    numbers = list(range(1, 101))
    upload = upload_stored(user, ("\n".join(map(str, numbers)) + "\n").encode())
    sqs_lambda.duplicate_every_batch = True

    run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=upload.id).run
    sqs_lambda.drain()
    # And one range replayed by hand after the end (a dead letter replayed late)
    again = exact_json.dumps(
        {
            "step": "map",
            "pipeline": "sumArray",
            "runId": str(run.id),
            "packet": 0,
            "range": [0, 100],
        }
    )
    step_handle(step="map", body=again)

    run = PipelineRun.objects.select_related("result").get(id=run.id)
    assert run.state == "done" and run.packet_count == 3
    assert exact_json.loads(run.result.value_json) == 2 * sum(numbers)
    assert (run.element_count, run.result.elements_reduced) == (100, 100)
    assert ScratchpadEntry.objects.filter(run=run).count() == 3


def test_a_pending_runs_file_is_kept_however_old_it_is(sqs_lambda, media_root, user):
    # Given a pending run's upload, a finished run's upload and an upload with no run
    pending = upload_stored(user, b"1\n2\n")
    run_start_from_upload(owner=user, pipeline="sumArray", upload_id=pending.id)
    finished = upload_stored(user, b"3\n")
    run_start_from_upload(owner=user, pipeline="sumArray", upload_id=finished.id)
    sqs_lambda.poll("map")  # both runs' ranges mapped
    sqs_lambda.drain()
    unused = upload_stored(user, b"4\n")
    PipelineRun.objects.filter(upload=pending).update(state="pending", finished_at=None)

    # When the one deletion rule is asked a year later
    deletable = set(
        uploads_past_keeping(now=timezone.now() + timedelta(days=365)).values_list("id", flat=True)
    )

    # Then the pending run's file is kept; the finished run's and the unused one may go
    assert deletable == {finished.id, unused.id}


def test_a_range_that_cannot_be_read_raises_for_the_queue_to_retry(
    sqs_lambda, media_root, settings, user
):
    # Given a run whose file is gone from the storage (an outage, say)
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 100
    upload = upload_stored(user, b"1\n2\n")
    run = run_start_from_upload(owner=user, pipeline="sumArray", upload_id=upload.id).run
    default_storage.delete(upload.storage_name)
    body = exact_json.dumps(
        {"step": "map", "pipeline": "sumArray", "runId": str(run.id), "packet": 0, "range": [0, 4]}
    )

    # Then the map raises (retried, then dead-lettered) and the run is neither failed nor mapped
    with pytest.raises(FileNotFoundError):
        step_handle(step="map", body=body)
    run.refresh_from_db()
    assert run.state == "pending" and not ScratchpadEntry.objects.filter(run=run).exists()


def test_word_count_reads_json_lines_of_text_in_ranges(sqs_lambda, media_root, settings, user):
    # Given JSON lines of text, some with commas and escaped quotes, in ranges of 24 bytes
    settings.PIPELINE_UPLOAD_RANGE_BYTES = 24
    lines = ['"the quick, brown fox"', '"The \\"dog\\""', "", '"fox, the end"', '"a", "b a"']
    upload = upload_stored(user, ("\n".join(lines) + "\n").encode(), pipeline="wordCount")

    run = run_start_from_upload(owner=user, pipeline="wordCount", upload_id=upload.id).run
    sqs_lambda.drain()

    run = PipelineRun.objects.select_related("result").get(id=run.id)
    assert run.state == "done", run.failure_reason
    assert exact_json.loads(run.result.value_json) == {
        "the": 3,
        "quick": 1,
        "brown": 1,
        "fox": 2,
        "dog": 1,
        "end": 1,
        "a": 2,
        "b": 1,
    }
    assert run.element_count == 5


def test_a_line_longer_than_the_look_ahead_is_read_on_to_its_end(media_root):
    # Given a 200 kB line (past the 64 KiB read beyond a range's end) between short ones
    content = b"5\n" + b"1," * 100_000 + b"1\n7"
    default_storage.save("ranges/wide.txt", io.BytesIO(content))

    for range_bytes in (1000, 70_000, 150_000):
        pieces = [
            range_lines_read(name="ranges/wide.txt", start=start, end=end, max_line_bytes=300_000)
            for start, end in ranges_cut(size=len(content), range_bytes=range_bytes)
        ]
        assert b"".join(piece.data for piece in pieces) == content, range_bytes
    # And past the limit it stops reading and names the line where it starts
    with pytest.raises(BadLine) as raised:
        range_lines_read(name="ranges/wide.txt", start=0, end=1000, max_line_bytes=100_000)
    assert raised.value.position == 2
