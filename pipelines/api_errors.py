"""The REST API's side of the pipelines' domain errors (docs/contract.md §2.5): the one place
that turns a refused run input or upload into the project's JSON error shape, its status code
and the request field it names."""

from api.errors import ApiError
from pipelines.services.runs import RunInputRefused
from pipelines.services.uploads import (
    UploadAlreadyStarted,
    UploadEmpty,
    UploadError,
    UploadNotFound,
    UploadNotSent,
    UploadQuotaExceeded,
    UploadTooLarge,
)

STATUS_OF = {  # any other UploadError is a 400
    UploadNotFound: 404,
    UploadAlreadyStarted: 409,
    UploadTooLarge: 413,
    UploadQuotaExceeded: 413,
}
FIELD_OF = {UploadEmpty: "upload", UploadNotSent: "upload"}  # the body field at fault


def rest_error_of(exc: Exception) -> Exception:
    """The pipelines' domain errors in REST's words; any other exception as it is."""
    if isinstance(exc, RunInputRefused):
        at = "" if exc.position is None else f"element {exc.position}: "
        return ApiError(exc.message, fields={"array": at + exc.reason})
    if isinstance(exc, UploadError):
        message = str(exc)
        field = FIELD_OF.get(type(exc))
        fields = {field: message} if field else None
        return ApiError(message, status_code=STATUS_OF.get(type(exc), 400), fields=fields)
    return exc


class DomainErrorsMixin:
    """For DRF views that call the pipelines' services: their refusals leave as JSON errors."""

    def handle_exception(self, exc):
        return super().handle_exception(rest_error_of(exc))
