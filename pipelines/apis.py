"""HTTP API of the pipelines (design §2.5): POST /sumArray starts a run and returns at once;
GET /sumArray/{arrayId} reports state, progress and result. /wordCount works the same way."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rate_limits import PIPELINE_RUNS, UserRateLimit
from pipelines.parsers import ExactJSONParser, ExactJSONRenderer
from pipelines.selectors import run_get, run_status
from pipelines.services import run_start


class RunStartApi(APIView):
    required_scopes = ["pipelines:run"]
    throttle_classes = [UserRateLimit.of(PIPELINE_RUNS)]  # per user, all pipelines together
    parser_classes = [ExactJSONParser]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        run = run_start(owner=request.user, pipeline=self.pipeline, elements=request.data)
        return Response({"status": "success", "array": request.data, "arrayId": str(run.id)})


class RunDetailApi(APIView):
    required_scopes = ["pipelines:run"]
    renderer_classes = [ExactJSONRenderer]
    pipeline = "sumArray"

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, array_id: str):
        status = run_status(run=run_get(owner=request.user, run_id=array_id,
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
