"""HTTP API of the pipelines (docs/contract.md §2.5): POST /sumArray starts a run and returns at
once; GET /sumArray/{arrayId} reports state, progress and result. /wordCount works the same way."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles.budgets import UserRateLimit
from api.api_docs import error_responses
from api.request_body import json_body_of
from pipelines import api_docs
from pipelines.access_rules import PIPELINE_RUNS, PIPELINE_UPLOAD_PUTS, PIPELINES_RUN
from pipelines.api_errors import DomainErrorsMixin
from pipelines.parsers import ExactJSONParser, ExactJSONRenderer
from pipelines.selectors import run_get, run_status
from pipelines.services.runs import run_start
from pipelines.services.uploads import run_start_from_upload, upload_create, upload_store

# 401, 403, 429 and a body's 400/413 are added by config.api_docs_hooks from the view.
ARRAY_ID_PARAMETER = OpenApiParameter(
    "arrayId",
    {"type": "string"},
    OpenApiParameter.PATH,
    description="The arrayId the POST returned.",
)


class RunStartApi(DomainErrorsMixin, APIView):
    required_scopes = [PIPELINES_RUN]
    throttle_classes = [UserRateLimit.of(PIPELINE_RUNS)]  # per user, all pipelines together
    parser_classes = [ExactJSONParser]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    def post(self, request):
        data = request.data if request.stream is not None else None
        if isinstance(data, dict) and "upload" in data:
            # The input is a file uploaded before (POST /<pipeline>/uploads).
            started = run_start_from_upload(
                owner=request.user, pipeline=self.pipeline, upload_id=data["upload"]
            )
            body = {"status": "success", "upload": str(started.run.upload_id)}
        else:
            elements = json_body_of(request, shape="array")
            started = run_start(owner=request.user, pipeline=self.pipeline, elements=elements)
            body = {"status": "success", "array": elements}
        body.update({"arrayId": str(started.run.id), "queued": started.queued is not False})
        if started.queued is False:
            # Kept, not lost: the cleanup job sends it once the queue answers again.
            body["message"] = (
                "The run is stored but the queue is not answering; it will be "
                "queued automatically within minutes."
            )
        return Response(body)


class UploadCreateApi(DomainErrorsMixin, APIView):
    """POST /<pipeline>/uploads: where to send the input file (docs/pipelines.md)."""

    required_scopes = [PIPELINES_RUN]
    throttle_classes = [UserRateLimit.of(PIPELINE_RUNS)]
    pipeline = "sumArray"

    def post(self, request):
        target = upload_create(owner=request.user, pipeline=self.pipeline)
        body = {
            "status": "success",
            "uploadId": str(target.upload.id),
            "maxBytes": target.max_bytes,
        }
        if target.presigned_post is not None:
            body.update(
                {
                    "method": "POST",
                    "uploadUrl": target.presigned_post["url"],
                    "fields": target.presigned_post["fields"],
                }
            )
        else:
            url = request.build_absolute_uri(f"{request.path.rstrip('/')}/{target.upload.id}")
            body.update({"method": "PUT", "uploadUrl": url, "fields": {}})
        return Response(body)


class UploadBodyApi(DomainErrorsMixin, APIView):
    """PUT /<pipeline>/uploads/<uploadId>: the file, as the body (media storage off S3)."""

    required_scopes = [PIPELINES_RUN]
    throttle_classes = [UserRateLimit.of(PIPELINE_UPLOAD_PUTS)]  # counted fleet-wide
    pipeline = "sumArray"

    def put(self, request, uploadId: str):
        try:
            content_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            content_length = None
        stored = upload_store(
            owner=request.user,
            pipeline=self.pipeline,
            upload_id=uploadId,
            stream=request.stream,
            content_length=content_length,
        )
        return Response({"status": "success", "uploadId": uploadId, "bytes": stored})


class RunDetailApi(APIView):
    required_scopes = [PIPELINES_RUN]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    def get(self, request, arrayId: str):  # the contract names the path parameter arrayId
        status = run_status(run=run_get(owner=request.user, run_id=arrayId, pipeline=self.pipeline))
        body = {
            "status": "success",
            "arrayId": str(status.run.id),
            "state": status.run.state,
            "result": status.result,
            "arrayLength": status.array_length,
            "elementsReduced": status.elements_reduced,
        }
        if status.run.failure_reason:
            body["failureReason"] = status.run.failure_reason
        return Response(body)


def _start_schema(name: str, elements: dict):
    return extend_schema(
        operation_id=f"{name}_start",
        summary=f"Start a {name} run (returns at once)",
        tags=["pipelines"],
        request={"application/json": api_docs.start_input(elements)},
        responses={
            200: OpenApiResponse(api_docs.started(elements), description="Started"),
            **error_responses(
                {
                    400: "Not a JSON array, an invalid element (named with its index), too "
                    "many elements, malformed JSON; an upload with no file or an empty one "
                    "(fields.upload)",
                    404: "Unknown uploadId (with an upload body)",
                    409: "That upload already started a run",
                    413: "Body over the size limit",
                    429: "Too many pipeline runs by this user (Retry-After says when)",
                }
            ),
        },
    )


def _detail_schema(name: str, result: dict):
    return extend_schema(
        operation_id=f"{name}_get",
        summary=f"A {name} run's state, progress and result",
        tags=["pipelines"],
        parameters=[ARRAY_ID_PARAMETER],
        responses={
            200: OpenApiResponse(api_docs.state(result), description="The run"),
            **error_responses({404: "Unknown arrayId"}),
        },
    )


class SumArrayStartApi(RunStartApi):
    pipeline = "sumArray"

    @_start_schema("sumArray", api_docs.NUMBERS)
    def post(self, request):
        return super().post(request)


class SumArrayDetailApi(RunDetailApi):
    pipeline = "sumArray"

    @_detail_schema("sumArray", api_docs.SUM)
    def get(self, request, arrayId: str):
        return super().get(request, arrayId)


class WordCountStartApi(RunStartApi):
    pipeline = "wordCount"

    @_start_schema("wordCount", api_docs.TEXTS)
    def post(self, request):
        return super().post(request)


class WordCountDetailApi(RunDetailApi):
    pipeline = "wordCount"

    @_detail_schema("wordCount", api_docs.WORD_COUNTS)
    def get(self, request, arrayId: str):
        return super().get(request, arrayId)


UPLOAD_ID_PARAMETER = OpenApiParameter(
    "uploadId",
    {"type": "string"},
    OpenApiParameter.PATH,
    description="The uploadId POST /<pipeline>/uploads returned.",
)


def _upload_create_schema(name: str):
    return extend_schema(
        operation_id=f"{name}_upload_create",
        tags=["pipelines"],
        request=None,
        summary=f"Where to send a {name} input file (a presigned S3 POST on AWS, else a PUT "
        "to this API); then POST /" + name + ' {"upload": "<uploadId>"}',
        responses={
            200: OpenApiResponse(api_docs.UPLOAD_TARGET, description="The upload slot"),
            **error_responses(
                {
                    413: "The user's unstarted uploads hold PIPELINE_UPLOAD_QUOTA_BYTES",
                    429: "Too many pipeline runs by this user (Retry-After says when)",
                }
            ),
        },
    )


def _upload_body_schema(name: str):
    return extend_schema(
        operation_id=f"{name}_upload_body",
        tags=["pipelines"],
        parameters=[UPLOAD_ID_PARAMETER],
        summary=f"The {name} input file as the body (CSV or JSON lines; off S3 only)",
        request={"text/csv": api_docs.UPLOAD_BODY},
        responses={
            200: OpenApiResponse(api_docs.UPLOAD_STORED, description="Stored"),
            **error_responses(
                {
                    400: "An empty body; the storage is S3",
                    404: "Unknown or expired uploadId",
                    409: "Already started a run",
                    413: "Over maxBytes, or over the user's upload quota",
                    429: "Too many PUTs by this user (pipeline-upload-puts; Retry-After says when)",
                }
            ),
        },
    )


class SumArrayUploadCreateApi(UploadCreateApi):
    pipeline = "sumArray"

    @_upload_create_schema("sumArray")
    def post(self, request):
        return super().post(request)


class SumArrayUploadBodyApi(UploadBodyApi):
    pipeline = "sumArray"

    @_upload_body_schema("sumArray")
    def put(self, request, uploadId: str):
        return super().put(request, uploadId)


class WordCountUploadCreateApi(UploadCreateApi):
    pipeline = "wordCount"

    @_upload_create_schema("wordCount")
    def post(self, request):
        return super().post(request)


class WordCountUploadBodyApi(UploadBodyApi):
    pipeline = "wordCount"

    @_upload_body_schema("wordCount")
    def put(self, request, uploadId: str):
        return super().put(request, uploadId)
