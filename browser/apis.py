"""HTTP surface of the browser (docs/contract.md §2.6, docs/browser.md): thin views over
browser.services. Authenticated, the `browser:use` scope, throttled per user."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.scope_names import BROWSER_USE
from api.api_docs import error_responses
from api.errors import ApiError
from browser import services
from browser.models import Capture


def _query(name: str, description: str, *, required: bool = False, **schema):
    return OpenApiParameter(
        name,
        {"type": "string", **schema},
        OpenApiParameter.QUERY,
        required=required,
        description=description,
    )


# Blank (whitespace only) counts as missing: a required value must hold a visible character.
VISIBLE = {"minLength": 1, "pattern": "\\S"}
SEARCH = _query("search", "Search words (when `url` is not given).")
URL = _query("url", "An http(s) page on a public address.")
SELECTOR = _query("selector", "A CSS selector.")
STORE = _query(
    "store", "`1`: keep the file in the media storage and answer its URL as JSON instead."
)
# 401 and 403 are added by config.api_docs_hooks from the view; 429 is declared here too, since
# a user past their share of the page slots gets it from the pages, not from a throttle.
PAGE_ERRORS = error_responses(
    {
        400: "A parameter missing, or a URL that is not http(s) or leads to a private, loopback "
        "or link-local address",
        404: "No element matches the selector",
        429: "Too many browser requests by this user, or past their share of the page slots "
        "(Retry-After says when)",
        502: "The page did not load",
        503: "The browser is not available here, or busy (Retry-After says when)",
        504: "The page took longer than the deadline",
    }
)
STORED = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "url": {"type": "string"},
        "captureId": {"type": "integer"},
    },
    "required": ["status", "url", "captureId"],
}


class BrowserUserThrottle(UserRateThrottle):
    """Browser requests per user (BROWSER_THROTTLE_RATE): each holds a page for seconds."""

    scope = "browser"

    def get_rate(self) -> str:
        return settings.BROWSER_THROTTLE_RATE


def required_parameter(request, name: str, *, message_name: str | None = None) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise ApiError(f"Please provide a ?{message_name or name}= parameter")
    return value


def wants_store(request) -> bool:
    return request.query_params.get("store", "").lower() in {"1", "true", "yes"}


class BrowserApi(APIView):
    required_scopes = [BROWSER_USE]
    throttle_classes = [BrowserUserThrottle]

    def binary_or_stored(
        self, request, *, kind: str, source_url: str, data: bytes, content_type: str
    ):
        """The bytes as the body (binary through API Gateway), or with store=1 kept in the
        media storage and answered with its URL."""
        if not wants_store(request):
            return HttpResponse(data, content_type=content_type)
        capture = services.capture_store(
            owner=request.user,
            kind=kind,
            source_url=source_url,
            data=data,
            content_type=content_type,
        )
        return Response(
            {
                "status": "success",
                "url": request.build_absolute_uri(capture.file.url)
                if capture.file.url.startswith("/")
                else capture.file.url,
                "captureId": capture.pk,
            }
        )


class ScraperApi(BrowserApi):
    @extend_schema(
        operation_id="browser_scrape",
        tags=["browser"],
        parameters=[SEARCH, URL, SELECTOR],
        responses={
            (200, "application/json"): {"type": "array", "items": {"type": "object"}},
            **PAGE_ERRORS,
        },
    )
    def get(self, request):
        url = request.query_params.get("url", "").strip()
        if url:
            selector = required_parameter(request, "selector")
            return Response(services.page_scrape(url=url, selector=selector))
        query = required_parameter(request, "search")
        return Response(services.search_scrape(query=query))


class ScreenshotApi(BrowserApi):
    @extend_schema(
        operation_id="browser_screenshot",
        tags=["browser"],
        parameters=[SEARCH, URL, SELECTOR, STORE],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "application/json"): STORED,
            **PAGE_ERRORS,
        },
    )
    def get(self, request):
        url = request.query_params.get("url", "").strip()
        if not url:
            url = services.search_page_url(required_parameter(request, "search"))
        selector = request.query_params.get("selector", "").strip()
        data = services.screenshot_take(url=url, selector=selector)
        return self.binary_or_stored(
            request,
            kind=Capture.Kind.SCREENSHOT,
            source_url=url,
            data=data,
            content_type="image/png",
        )


class PdfApi(BrowserApi):
    @extend_schema(
        operation_id="browser_pdf",
        tags=["browser"],
        parameters=[_query("url", URL.description, required=True, **VISIBLE), STORE],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/json"): STORED,
            **PAGE_ERRORS,
        },
    )
    def get(self, request):
        url = required_parameter(request, "url")
        data = services.pdf_render(url=url)
        return self.binary_or_stored(
            request,
            kind=Capture.Kind.PDF,
            source_url=url,
            data=data,
            content_type="application/pdf",
        )


class CardApi(BrowserApi):
    @extend_schema(
        operation_id="browser_card",
        tags=["browser"],
        parameters=[
            _query("title", "The card's title (200 characters kept).", required=True, **VISIBLE),
            _query("subtitle", "Under the title (300 characters kept)."),
            STORE,
        ],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "application/json"): STORED,
            **error_responses(
                {
                    400: "No title",
                    429: "Too many browser requests by this user, or past their share of the "
                    "page slots (Retry-After says when)",
                    503: "The browser is not available here, or busy (Retry-After says when)",
                    504: "Rendering took longer than the deadline",
                }
            ),
        },
    )
    def get(self, request):
        title = required_parameter(request, "title")[:200]
        subtitle = request.query_params.get("subtitle", "").strip()[:300]
        data = services.card_render(title=title, subtitle=subtitle)
        return self.binary_or_stored(
            request, kind=Capture.Kind.CARD, source_url="", data=data, content_type="image/png"
        )
