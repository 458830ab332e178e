"""HTTP surface of the browser (docs/contract.md §2.6, docs/browser.md): thin views over
browser.services. Authenticated, the `browser:use` scope, a per-user budget counted in the
database; the browser's domain errors get their statuses here (`BrowserApi.handle_exception`)."""

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles.budgets import UserRateLimit
from api.errors import ApiError, NotFound
from browser import api_docs, errors, selectors, services
from browser.access_rules import BROWSER_REQUESTS, BROWSER_USE
from browser.models import Capture

ERROR_STATUS = {
    errors.UrlNotAllowed: 400,
    errors.InvalidSelector: 400,
    errors.NoElementMatches: 404,
    errors.PageShareSpent: 429,
    errors.PageSlotsBusy: 503,
    errors.BrowserNotHere: 503,
    errors.PageLoadFailed: 502,
    errors.BrowserDeadlineExceeded: 504,
}


def required_parameter(request, name: str, *, message: str | None = None) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise ApiError(message or f"Please provide a ?{name}= parameter")
    return value


def wants_store(request) -> bool:
    return request.query_params.get("store", "").lower() in {"1", "true", "yes"}


class BrowserApi(APIView):
    required_scopes = [BROWSER_USE]
    throttle_classes = [UserRateLimit.of(BROWSER_REQUESTS)]  # GETs count too

    def handle_exception(self, exc):
        status = next((code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind)), None)
        if status is None:
            return super().handle_exception(exc)
        response = super().handle_exception(ApiError(exc.message, status_code=status))
        if isinstance(exc, errors.PageSlotsBusy):
            response["Retry-After"] = str(exc.retry_after_seconds)
        return response

    def binary_or_stored(
        self, request, *, kind: str, source_url: str, data: bytes, content_type: str
    ):
        """The bytes as the body (binary through API Gateway), or with store=1 kept in the
        media storage and answered with its URL: S3's presigned URL, or locally this API's
        /captures/{captureId}, served to its owner."""
        if not wants_store(request):
            return HttpResponse(data, content_type=content_type)
        capture = services.capture_store(
            owner=request.user,
            kind=kind,
            source_url=source_url,
            data=data,
            content_type=content_type,
        )
        url = capture.file.url
        if url.startswith("/"):
            url = request.build_absolute_uri(reverse("browser-capture", args=[capture.pk]))
        return Response({"status": "success", "url": url, "captureId": capture.pk})


class ScraperApi(BrowserApi):
    @extend_schema(
        operation_id="browser_scrape",
        tags=["browser"],
        parameters=api_docs.SCRAPER_PARAMETERS,
        responses={
            200: api_docs.SCRAPE_RESULTS,
            **api_docs.browser_errors(400, 401, 403, 429, 502, 503, 504),
        },
    )
    def get(self, request):
        user_id = request.user.pk
        url = request.query_params.get("url", "").strip()
        if url:
            selector = required_parameter(request, "selector")
            return Response(services.page_scrape(user_id=user_id, url=url, selector=selector))
        query = required_parameter(
            request,
            "search",
            message="Please provide a ?search= parameter, or ?url= and ?selector=",
        )
        return Response(services.search_scrape(user_id=user_id, query=query))


def capture_schema(name: str, *, parameters: list, content_type: str, errors: tuple):
    """An endpoint that answers a capture: its bytes, or where it is kept (store=1)."""
    return extend_schema(
        operation_id=f"browser_{name}",
        tags=["browser"],
        parameters=parameters,
        responses={
            (200, content_type): OpenApiTypes.BINARY,
            (200, "application/json"): api_docs.STORED,
            **api_docs.browser_errors(*errors),
        },
    )


class ScreenshotApi(BrowserApi):
    @capture_schema(
        "screenshot",
        parameters=api_docs.SCREENSHOT_PARAMETERS,
        content_type="image/png",
        errors=(400, 401, 403, 404, 429, 502, 503, 504),
    )
    def get(self, request):
        url = request.query_params.get("url", "").strip()
        if not url:
            query = required_parameter(
                request,
                "search",
                message="Please provide a ?search= parameter, or ?url= (optional: ?selector=,"
                " ?store=1)",
            )
            url = services.search_page_url(query)
        selector = request.query_params.get("selector", "").strip()
        data = services.screenshot_take(user_id=request.user.pk, url=url, selector=selector)
        return self.binary_or_stored(
            request,
            kind=Capture.Kind.SCREENSHOT,
            source_url=url,
            data=data,
            content_type="image/png",
        )


class PdfApi(BrowserApi):
    @capture_schema(
        "pdf",
        parameters=api_docs.PDF_PARAMETERS,
        content_type="application/pdf",
        errors=(400, 401, 403, 429, 502, 503, 504),
    )
    def get(self, request):
        url = required_parameter(request, "url")
        data = services.pdf_render(user_id=request.user.pk, url=url)
        return self.binary_or_stored(
            request,
            kind=Capture.Kind.PDF,
            source_url=url,
            data=data,
            content_type="application/pdf",
        )


class CardApi(BrowserApi):
    @capture_schema(
        "card",
        parameters=api_docs.CARD_PARAMETERS,
        content_type="image/png",
        errors=(400, 401, 403, 429, 503, 504),
    )
    def get(self, request):
        title = required_parameter(request, "title")[:200]
        subtitle = request.query_params.get("subtitle", "").strip()[:300]
        data = services.card_render(user_id=request.user.pk, title=title, subtitle=subtitle)
        return self.binary_or_stored(
            request, kind=Capture.Kind.CARD, source_url="", data=data, content_type="image/png"
        )


class CaptureApi(APIView):
    """A kept capture's bytes, for its owner (the `url` of store=1 when the media storage is a
    local folder; on S3 the presigned URL serves it)."""

    required_scopes = [BROWSER_USE]

    @extend_schema(
        operation_id="browser_capture",
        tags=["browser"],
        parameters=[
            OpenApiParameter(
                "captureId", OpenApiTypes.INT, OpenApiParameter.PATH, description="From store=1."
            )
        ],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **api_docs.browser_errors(401, 403, 404),
        },
    )
    def get(self, request, captureId: str):  # the contract's path parameter name
        capture = selectors.capture_get(owner=request.user, capture_id=int(captureId))
        if capture is None:
            raise NotFound("No such capture")
        try:
            handle = capture.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The capture's file is gone") from None
        return FileResponse(handle, content_type=capture.content_type)
