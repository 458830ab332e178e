"""The book's items REST API (design §2.2): thin views over items.services/selectors."""

import weakref

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rate_limits import ITEM_WRITES, UserRateLimit
from accounts.scope_names import ITEMS_READ, ITEMS_WRITE
from items import openapi
from items.parsers import ClientJsonParser, json_object_from
from items.representation import item_rest_representation
from items.selectors import InvalidPageSize, item_get, item_page, max_page_size
from items.services import item_create, item_delete, item_update

READ_SCOPES = [ITEMS_READ]
WRITE_SCOPES = [ITEMS_WRITE]

COMMON_ERRORS = {401: OpenApiResponse(openapi.ERROR, description="No or invalid bearer token")}
BODY_ERRORS = {
    400: OpenApiResponse(openapi.ERROR, description="No body, malformed JSON or not an object"),
    413: OpenApiResponse(openapi.ERROR, description="Body over the size limit"),
}
WRITE_ERRORS = {429: OpenApiResponse(
    openapi.ERROR, description="Too many item writes by this user (Retry-After says when)")}
ITEM_ID_PARAMETER = OpenApiParameter(
    "itemId", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The item's itemId.")


def item_response(item) -> Response:
    return Response({"status": "success", "item": item_rest_representation(item)})


class LazyItemsSchema:
    """The views' `schema` descriptor (as DRF's ViewInspector behaves), whose inspector class
    is imported when /openapi.json is generated, never at start-up."""

    def __init__(self):
        self.instance_schemas = weakref.WeakKeyDictionary()

    def __get__(self, instance, owner):
        if instance is not None and instance in self.instance_schemas:
            return self.instance_schemas[instance]
        from items.openapi_schema import JsonBodyRequiredAutoSchema

        inspector = JsonBodyRequiredAutoSchema()
        if instance is not None:
            inspector.view = instance
        return inspector

    def __set__(self, instance, other):
        self.instance_schemas[instance] = other
        if other is not None:
            other.view = instance


class ItemsApi(APIView):
    parser_classes = [ClientJsonParser]
    throttle_classes = [UserRateLimit.of(ITEM_WRITES)]  # per user; POST/DELETE only
    schema = LazyItemsSchema()

    @property
    def required_scopes(self) -> list[str]:
        """Read scope for GET/HEAD/OPTIONS, write scope otherwise (checked by accounts)."""
        request = getattr(self, "request", None)
        if request is not None and request.method in SAFE_METHODS:
            return READ_SCOPES
        return WRITE_SCOPES


class ItemCreateApi(ItemsApi):
    required_scopes = WRITE_SCOPES

    @extend_schema(
        operation_id="item_create", summary="Create an item", tags=["items"],
        request={"application/json": openapi.ITEM_INPUT},
        responses={200: OpenApiResponse(openapi.ITEM_RESPONSE, description="The new item"),
                   **BODY_ERRORS, **COMMON_ERRORS, **WRITE_ERRORS})
    def post(self, request):
        item = item_create(owner=request.user, fields=json_object_from(request))
        return item_response(item)


class ItemDetailApi(ItemsApi):
    @extend_schema(
        operation_id="item_get", summary="Read an item", tags=["items"],
        parameters=[ITEM_ID_PARAMETER],
        responses={200: OpenApiResponse(openapi.ITEM_RESPONSE, description="The item"),
                   404: OpenApiResponse(openapi.ERROR, description=(
                       "Item not found (also for an itemId that is not a UUID)")),
                   **COMMON_ERRORS})
    def get(self, request, itemId):  # the book names the path parameter itemId
        return item_response(item_get(owner=request.user, item_id=itemId))

    @extend_schema(
        operation_id="item_update", summary="Update an item (sent fields only)", tags=["items"],
        parameters=[ITEM_ID_PARAMETER],
        request={"application/json": openapi.ITEM_INPUT},
        responses={200: OpenApiResponse(openapi.ITEM_RESPONSE, description="The updated item"),
                   404: OpenApiResponse(openapi.ERROR, description="Item not found"),
                   **BODY_ERRORS, **COMMON_ERRORS, **WRITE_ERRORS})
    def post(self, request, itemId):
        fields = json_object_from(request)
        return item_response(item_update(owner=request.user, item_id=itemId, fields=fields))

    @extend_schema(
        operation_id="item_delete", summary="Delete an item (soft, restorable)", tags=["items"],
        parameters=[ITEM_ID_PARAMETER],
        responses={200: OpenApiResponse(openapi.DELETED_ITEM_RESPONSE,
                                        description="The item as it was, or null"),
                   **COMMON_ERRORS, **WRITE_ERRORS})
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

    @extend_schema(
        operation_id="item_list", summary="List your items, newest first", tags=["items"],
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 100},
                             OpenApiParameter.QUERY,
                             description="Page size, 1 to 100 (default 20)."),
            OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY,
                             description="The `next` of the previous page (opaque; any "
                                         "other value is a 400)."),
        ],
        responses={200: OpenApiResponse(openapi.ITEM_LIST_RESPONSE, description="One page"),
                   400: OpenApiResponse(openapi.ERROR, description="Bad limit or cursor"),
                   **COMMON_ERRORS})
    def get(self, request):
        page = item_page(owner=request.user, limit=_limit_from(request.query_params),
                         cursor=request.query_params.get("cursor") or None)
        return Response({
            "status": "success",
            "items": [item_rest_representation(item) for item in page.items],
            "next": page.next_cursor,
        })
