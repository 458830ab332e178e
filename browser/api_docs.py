"""The OpenAPI description of the browser endpoints (docs/contract.md §2.6): their query
parameters and every status they answer, each with the project's error schema."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.api_docs import error_responses

ERROR_DESCRIPTIONS = {
    400: "A parameter is missing (the message names every accepted one), the URL or a redirect"
    " is refused by the SSRF guard (the reason), or the selector is invalid",
    401: "No or invalid bearer token",
    403: "The token lacks the browser:use scope",
    404: "No element matches the selector / no such capture of yours",
    429: "Too many browser requests by this user (BROWSER_THROTTLE_RATE), or the user already"
    " holds their share of the process's page slots (BROWSER_PAGES_PER_USER); the Retry-After"
    " header says in how many seconds to try again",
    502: "The page did not load",
    503: "Every page slot of the process is busy (Retry-After: seconds until one frees at the"
    " latest), or this stage serves no browser (its own function does)",
    504: "The page did not finish within BROWSER_DEADLINE_SECONDS",
}


def browser_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return error_responses({status: ERROR_DESCRIPTIONS[status] for status in statuses})


STORED = OpenApiResponse(
    {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["success"]},
            "url": {
                "type": "string",
                "format": "uri",
                "description": "A presigned S3 URL that expires, or /captures/{captureId} here,"
                " for the owner's bearer token",
            },
            "captureId": {"type": "integer"},
        },
        "required": ["status", "url", "captureId"],
    },
    description="With store=1: the capture was kept",
)

SCRAPE_RESULTS = OpenApiResponse(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "nullable": True},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "text": {"type": "string"},
            },
        },
    },
    description='?search=: [{"url","title","description"}]; ?url=&selector=: [{"text","url"}]',
)


def _query(name: str, description: str, *, required: bool = False) -> OpenApiParameter:
    # A required value must hold a visible character: blank counts as missing (400).
    schema = {"type": "string", "minLength": 1, "pattern": "\\S"} if required else OpenApiTypes.STR
    return OpenApiParameter(
        name, schema, OpenApiParameter.QUERY, required=required, description=description
    )


URL = _query("url", "The page (http or https, a public address)")
SEARCH = _query("search", "Words for the search page (SEARCH_URL), used when there is no url")
STORE = _query("store", "1: keep the file and answer its URL as JSON")

SCRAPER_PARAMETERS = [SEARCH, URL, _query("selector", "A CSS selector; required with url")]
SCREENSHOT_PARAMETERS = [URL, SEARCH, _query("selector", "The element to capture"), STORE]
PDF_PARAMETERS = [_query("url", "The page (http or https, a public address)", required=True), STORE]
CARD_PARAMETERS = [
    _query("title", "The card's title (200 characters kept)", required=True),
    _query("subtitle", "Up to 300 characters"),
    STORE,
]
