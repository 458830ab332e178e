"""HTTP API of the pipelines (design §2.5): POST /sumArray starts a run and returns at once;
GET /sumArray/{arrayId} reports state, progress and result. /wordCount works the same way."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rate_limits import PIPELINE_RUNS, UserRateLimit
from api.request_body import json_body_of
from pipelines import openapi
from pipelines.parsers import ExactJSONParser, ExactJSONRenderer
from pipelines.selectors import run_get, run_status
from pipelines.services import run_start

ERRORS = {401: OpenApiResponse(openapi.ERROR, description="No or invalid bearer token")}
ARRAY_ID_PARAMETER = OpenApiParameter(
    "arrayId", {"type": "string"}, OpenApiParameter.PATH,
    description="The arrayId the POST returned.")


class RunStartApi(APIView):
    required_scopes = ["pipelines:run"]
    throttle_classes = [UserRateLimit.of(PIPELINE_RUNS)]  # per user, all pipelines together
    parser_classes = [ExactJSONParser]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    def post(self, request):
        elements = json_body_of(request, shape="array")
        run = run_start(owner=request.user, pipeline=self.pipeline, elements=elements)
        body = {"status": "success", "array": elements, "arrayId": str(run.id),
                "queued": run.queued is not False}
        if run.queued is False:
            # Kept, not lost: the cleanup job sends it once the queue answers again.
            body["message"] = ("The run is stored but the queue is not answering; it will be "
                               "queued automatically within minutes.")
        return Response(body)


class RunDetailApi(APIView):
    required_scopes = ["pipelines:run"]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    def get(self, request, arrayId: str):  # the contract names the path parameter arrayId
        status = run_status(run=run_get(owner=request.user, run_id=arrayId,
                                        pipeline=self.pipeline))
        body = {
            "status": "success",
            "arrayId": str(status.run.id),
            "state": status.run.state,
            "result": status.result,
            "arrayLength": status.run.element_count,
            "elementsReduced": status.elements_reduced,
        }
        if status.run.failure_reason:
            body["failureReason"] = status.run.failure_reason
        return Response(body)


def _start_schema(name: str, elements: dict):
    return extend_schema(
        operation_id=f"{name}_start", summary=f"Start a {name} run (returns at once)",
        tags=["pipelines"], request={"application/json": elements},
        responses={200: OpenApiResponse(openapi.started(elements), description="Started"),
                   400: OpenApiResponse(openapi.ERROR, description=(
                       "Not a JSON array, an invalid element (named with its index), too "
                       "many elements, malformed JSON")),
                   413: OpenApiResponse(openapi.ERROR, description="Body over the size limit"),
                   **ERRORS})


def _detail_schema(name: str, result: dict):
    return extend_schema(
        operation_id=f"{name}_get", summary=f"A {name} run's state, progress and result",
        tags=["pipelines"], parameters=[ARRAY_ID_PARAMETER],
        responses={200: OpenApiResponse(openapi.state(result), description="The run"),
                   404: OpenApiResponse(openapi.ERROR, description="Unknown arrayId"),
                   **ERRORS})


class SumArrayStartApi(RunStartApi):
    pipeline = "sumArray"

    @_start_schema("sumArray", openapi.NUMBERS)
    def post(self, request):
        return super().post(request)


class SumArrayDetailApi(RunDetailApi):
    pipeline = "sumArray"

    @_detail_schema("sumArray", openapi.SUM)
    def get(self, request, arrayId: str):
        return super().get(request, arrayId)


class WordCountStartApi(RunStartApi):
    pipeline = "wordCount"

    @_start_schema("wordCount", openapi.TEXTS)
    def post(self, request):
        return super().post(request)


class WordCountDetailApi(RunDetailApi):
    pipeline = "wordCount"

    @_detail_schema("wordCount", openapi.WORD_COUNTS)
    def get(self, request, arrayId: str):
        return super().get(request, arrayId)
