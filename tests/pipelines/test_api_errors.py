"""The REST adapter's words for the pipelines' domain errors (pipelines/api_errors.py): the
services raise them knowing nothing of HTTP; status codes and field names are chosen here."""

import pytest

from api.errors import ApiError
from pipelines.api_errors import rest_error_of
from pipelines.services.runs import RunInputRefused
from pipelines.services.uploads import (
    UploadAlreadyStarted,
    UploadEmpty,
    UploadGoesToS3,
    UploadNotFound,
    UploadNotSent,
    UploadQuotaExceeded,
    UploadTooLarge,
)


@pytest.mark.parametrize(
    "refusal, fields",
    [
        (RunInputRefused("Too many", reason="at most 5 elements"), {"array": "at most 5 elements"}),
        (
            RunInputRefused("Element 3 is invalid: a string", reason="a string", position=3),
            {"array": "element 3: a string"},
        ),
        (
            RunInputRefused("Element 0 is invalid: a boolean", reason="a boolean", position=0),
            {"array": "element 0: a boolean"},
        ),
    ],
)
def test_a_refused_run_input_is_a_400_naming_the_array(refusal, fields):
    error = rest_error_of(refusal)

    assert isinstance(error, ApiError)
    assert (error.status_code, error.message, error.fields) == (400, refusal.message, fields)


@pytest.mark.parametrize(
    "refusal, status, fields",
    [
        (UploadNotFound("Unknown uploadId"), 404, None),
        (UploadAlreadyStarted("started"), 409, None),
        (UploadTooLarge("too large"), 413, None),
        (UploadQuotaExceeded("quota"), 413, None),
        (UploadGoesToS3("to S3"), 400, None),
        (UploadEmpty("empty"), 400, {"upload": "empty"}),
        (UploadNotSent("not sent"), 400, {"upload": "not sent"}),
    ],
)
def test_each_upload_refusal_has_its_status_and_field(refusal, status, fields):
    error = rest_error_of(refusal)

    assert isinstance(error, ApiError)
    assert (error.status_code, error.message, error.fields) == (status, str(refusal), fields)


def test_other_errors_pass_through_unchanged():
    error = LookupError("no pipeline named 'x'")

    assert rest_error_of(error) is error
