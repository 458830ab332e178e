"""One byte range of an uploaded file read as lines, and its elements (docs/pipelines.md
"Big inputs").

A range [start, end) owns the lines that *start* inside it: it begins at the first line
boundary at or after `start` and finishes the line that crosses `end`. Ranges cut anywhere
therefore cover every line exactly once, and each is read on its own, in any order.

The file: one or more JSON values per line, separated by commas (CSV of numbers, or JSON
lines); blank lines are skipped.
"""

import json
from dataclasses import dataclass

from api.errors import ApiError
from api.json_values import refuse_non_finite
from api.request_body import decode_json
from pipelines.arithmetic import client_decimal, client_int
from pipelines.registry import InvalidElement, Pipeline
from pipelines.storage import storage_range_read

# Read past a range's end in one go to finish its last line (one request on S3 for the
# usual short line); a longer line is read on in chunks of this size.
LOOKAHEAD_BYTES = 64 * 1024
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


class BadLine(ValueError):
    """A line the pipeline cannot take. `position` is the file byte the line starts at: its
    number is counted only when the failure is reported (a scan of the file's start)."""

    def __init__(self, position: int, problem: str):
        super().__init__(problem)
        self.position = position
        self.problem = problem  # completes "Line N…", e.g. ", value 1: it is a string…"


@dataclass(frozen=True)
class RangeLines:
    data: bytes  # whole lines
    position: int  # the file byte data[0] is


def range_lines_read(*, name: str, start: int, end: int, max_line_bytes: int) -> RangeLines:
    """The lines of the stored file `name` that start in [start, end), whole."""
    first = max(start - 1, 0)  # the byte before: a line starts at `start` if it is a break
    data = storage_range_read(name, first, end - first + LOOKAHEAD_BYTES)
    at_file_end = len(data) < end - first + LOOKAHEAD_BYTES
    last = end - 1 - first  # the index in `data` of the range's last byte
    if start == 0:
        begin = 0
        if data.startswith(_BYTE_ORDER_MARK):
            data = b"   " + data[3:]  # same length, read as blanks
    else:
        # A break at data[i] starts a line at file byte first + i + 1, owned while i < last.
        cut = data.find(b"\n", 0, last)
        if cut < 0:
            return RangeLines(b"", end)  # inside one long line: the range it starts in reads it
        begin = cut + 1
    # The last line starting in the range, and the break that finishes it (maybe past `end`).
    last_start = data.rfind(b"\n", begin, last) + 1 or begin
    finish = data.find(b"\n", last)
    while finish < 0 and not at_file_end and len(data) - last_start <= max_line_bytes:
        more = storage_range_read(name, first + len(data), LOOKAHEAD_BYTES)
        at_file_end = len(more) < LOOKAHEAD_BYTES
        searched, data = len(data), data + more
        finish = data.find(b"\n", searched)
    stop = len(data) if finish < 0 else finish + 1
    if (stop if finish < 0 else finish) - last_start > max_line_bytes:
        raise BadLine(first + last_start, f" is longer than {max_line_bytes} bytes")
    return RangeLines(data[begin:stop], first + begin)


def _values(text: str) -> list:
    return decode_json(
        ("[" + text + "]").encode(), shape="array", parse_float=client_decimal, parse_int=client_int
    )


def _decoded(joined: str) -> list:
    # ",\n" between lines: a JSON string cannot hold a raw line break, so two lines never
    # merge into one value; a container spanning lines is never a valid element (named below).
    if not joined.strip():
        return []
    return json.loads(
        "[" + joined + "]", parse_float=client_decimal, parse_constant=refuse_non_finite
    )


def range_elements(spec: Pipeline, lines: RangeLines) -> list:
    """Every element of the lines, validated. The range is decoded at once (C speed); when
    that fails it is gone through line by line to name the line."""
    try:
        text = lines.data.decode("utf-8")
        try:
            elements = _decoded(text.rstrip("\n").replace("\n", ",\n"))
        except ValueError:  # blank lines (or a bad one): without the blank ones
            elements = _decoded(",\n".join([line for line in text.split("\n") if line.strip()]))
        spec.validate_all(elements)
        return elements
    except (ValueError, InvalidElement, RecursionError):
        # Not UTF-8, malformed, an integer past Python's digit limit, or a bad element.
        pass
    position = lines.position
    for raw in lines.data.split(b"\n"):
        _line_check(spec, raw, position)
        position += len(raw) + 1
    raise BadLine(lines.position, ": the lines could not be read")  # the fast path failed


def _line_check(spec: Pipeline, raw: bytes, position: int) -> None:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadLine(position, " is not UTF-8 text") from None
    if not line.strip():
        return
    try:
        values = _values(line)
    except ApiError as exc:
        raise BadLine(position, f": {exc.message}") from None
    for index, value in enumerate(values, start=1):
        try:
            spec.validate_element(value)
        except InvalidElement as exc:
            raise BadLine(position, f", value {index}: {exc}") from None
