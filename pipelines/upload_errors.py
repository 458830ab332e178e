"""The API's side of the upload service's refusals (docs/contract.md §2.5): the one place
that turns an UploadError into the project's JSON error shape and its status code."""

from api.errors import ApiError
from pipelines.services.uploads import (
    UploadAlreadyStarted,
    UploadEmpty,
    UploadError,
    UploadGoesToS3,
    UploadNotFound,
    UploadNotSent,
    UploadQuotaExceeded,
    UploadTooLarge,
)

STATUS_OF = {
    UploadNotFound: 404,
    UploadAlreadyStarted: 409,
    UploadTooLarge: 413,
    UploadQuotaExceeded: 413,
    UploadEmpty: 400,
    UploadNotSent: 400,
    UploadGoesToS3: 400,
}


def upload_error_as_api_error(exc: UploadError) -> ApiError:
    message = str(exc)
    fields = {exc.field: message} if exc.field else None
    return ApiError(message, status_code=STATUS_OF.get(type(exc), 400), fields=fields)


class UploadErrorsMixin:
    """For DRF views that call the upload service: its refusals leave as JSON errors."""

    def handle_exception(self, exc):
        if isinstance(exc, UploadError):
            exc = upload_error_as_api_error(exc)
        return super().handle_exception(exc)
