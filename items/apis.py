"""The book's items REST API (docs/contract.md §2.2): thin views over items.services/selectors."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles.budgets import UserRateLimit
from api.api_docs import error_responses
from api.errors import ApiError
from api.request_body import JsonObjectParser, json_body_of
from items import api_docs
from items.access_rules import ITEM_WRITES, ITEMS_READ, ITEMS_WRITE
from items.cursors import InvalidCursor
from items.inputs import InvalidItemField, InvalidPageSize, max_page_size
from items.representation import item_rest_representation
from items.selectors import item_get, item_page
from items.services import item_create, item_delete, item_update

READ_SCOPES = [ITEMS_READ]
WRITE_SCOPES = [ITEMS_WRITE]

# 401, 403 and, for writes, 429 and the body's 400/413 are added by config.api_docs_hooks.
BODY_ERRORS = error_responses(
    {
        400: "No body, malformed JSON, not an object, `name`/`body` not a string, nesting "
        "deeper than 64 levels, a NUL character or an unpaired surrogate",
    }
)
WRITE_ERRORS = error_responses({429: "Too many item writes by this user (Retry-After says when)"})
ITEM_ID_PARAMETER = OpenApiParameter(
    "itemId", api_docs.ITEM_ID_IN_PATH, OpenApiParameter.PATH, description="The item's itemId."
)


def items_operation(operation_id: str, summary: str, **schema):
    """extend_schema for an items operation, tagged `items` like every one of them."""
    return extend_schema(operation_id=operation_id, summary=summary, tags=["items"], **schema)


def rest_error_of(exc: Exception) -> Exception:
    """The items domain's errors in REST's words: the parameter or body field at fault named
    in `fields` (GraphQL words the same errors with its own argument names)."""
    if isinstance(exc, InvalidPageSize):
        return ApiError(exc.message_for("limit"), fields={"limit": exc.expected()})
    if isinstance(exc, InvalidCursor):
        return ApiError(exc.message, fields={"cursor": exc.expected})
    if isinstance(exc, InvalidItemField):
        return ApiError(exc.message, fields={exc.field: exc.expected})
    return exc


def item_response(item) -> Response:
    return Response({"status": "success", "item": item_rest_representation(item)})


class ItemsApi(APIView):
    # Any content type is read as JSON: the book's curl examples send no JSON content type
    # (`curl -d '{...}'` says application/x-www-form-urlencoded).
    parser_classes = [JsonObjectParser]
    throttle_classes = [UserRateLimit.of(ITEM_WRITES)]  # per user; POST/DELETE only

    @property
    def required_scopes(self) -> list[str]:
        """Read scope for GET/HEAD/OPTIONS, write scope otherwise (checked by accounts)."""
        request = getattr(self, "request", None)
        if request is not None and request.method in SAFE_METHODS:
            return READ_SCOPES
        return WRITE_SCOPES

    def handle_exception(self, exc):
        return super().handle_exception(rest_error_of(exc))


class ItemCreateApi(ItemsApi):
    required_scopes = WRITE_SCOPES

    @items_operation(
        "item_create",
        "Create an item",
        request={"application/json": api_docs.ITEM_INPUT},
        responses={
            200: OpenApiResponse(api_docs.ITEM_RESPONSE, description="The new item"),
            **BODY_ERRORS,
            **WRITE_ERRORS,
        },
    )
    def post(self, request):
        item = item_create(owner=request.user, fields=json_body_of(request, shape="object"))
        return item_response(item)


class ItemDetailApi(ItemsApi):
    @items_operation(
        "item_get",
        "Read an item",
        parameters=[ITEM_ID_PARAMETER],
        responses={
            200: OpenApiResponse(api_docs.ITEM_RESPONSE, description="The item"),
            **error_responses({404: "Item not found (also for an itemId that is not ours)"}),
        },
    )
    def get(self, request, itemId):  # the book names the path parameter itemId
        return item_response(item_get(owner=request.user, item_id=itemId))

    @items_operation(
        "item_update",
        "Update an item (sent fields only)",
        parameters=[ITEM_ID_PARAMETER],
        request={"application/json": api_docs.ITEM_INPUT},
        responses={
            200: OpenApiResponse(api_docs.ITEM_RESPONSE, description="The updated item"),
            **error_responses({404: "Item not found"}),
            **BODY_ERRORS,
            **WRITE_ERRORS,
        },
    )
    def post(self, request, itemId):
        fields = json_body_of(request, shape="object")
        return item_response(item_update(owner=request.user, item_id=itemId, fields=fields))

    @items_operation(
        "item_delete",
        "Delete an item (soft, restorable)",
        parameters=[ITEM_ID_PARAMETER],
        responses={
            200: OpenApiResponse(
                api_docs.DELETED_ITEM_RESPONSE, description="The item as it was, or null"
            ),
            **WRITE_ERRORS,
        },
    )
    def delete(self, request, itemId):
        item = item_delete(owner=request.user, item_id=itemId)
        item_was = item_rest_representation(item) if item is not None else None
        return Response({"status": "success", "itemWas": item_was})


def _limit_from(query_params) -> int | None:
    text = query_params.get("limit")
    if text in (None, ""):
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidPageSize(max_page_size()) from exc


class ItemListApi(ItemsApi):
    required_scopes = READ_SCOPES

    @items_operation(
        "item_list",
        "List your items, newest first",
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 100},
                OpenApiParameter.QUERY,
                description="Page size, 1 to 100 (default 20).",
            ),
            OpenApiParameter(
                "cursor",
                api_docs.CURSOR,
                OpenApiParameter.QUERY,
                description="The `next` of the previous page (opaque; any other value is a 400).",
            ),
        ],
        responses={
            200: OpenApiResponse(api_docs.ITEM_LIST_RESPONSE, description="One page"),
            **error_responses({400: "Bad limit, or a cursor the API did not issue"}),
        },
    )
    def get(self, request):
        page = item_page(
            owner=request.user,
            limit=_limit_from(request.query_params),
            cursor=request.query_params.get("cursor") or None,
        )
        return Response(
            {
                "status": "success",
                "items": [item_rest_representation(item) for item in page.items],
                "next": page.next_cursor,
            }
        )
