"""graphene-django's GraphQLView with the project's rules: bearer-token auth, JSON errors,
bounded documents (config/graphql/documents.py), GraphiQL and introspection switched by
settings (off in prod), and GraphQL over HTTP's media types (docs/items.md "GraphQL over HTTP"):
`application/graphql-response+json` for a client that asks for it, `application/json` else.
"""

import json
import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError, OperationType, execute, get_operation_ast

from accounts.authentication import InvalidCredentials, user_from_bearer
from accounts.graphql_permissions import UNAUTHENTICATED
from api.errors import ApiError, error_payload
from config.graphql.documents import RejectedDocument, document_for, without_suggestions

logger = logging.getLogger("graphql")

INTERNAL_ERROR = "Internal server error"
# Set when a resolver refused an anonymous caller: the response is then a 401.
AUTHENTICATION_REQUIRED_FLAG = "graphql_authentication_required"
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def is_unauthenticated(error) -> bool:
    return (getattr(error, "extensions", None) or {}).get("code") == UNAUTHENTICATED


def response_media_type(request) -> str:
    """What the client's Accept prefers of the two (GraphQL over HTTP, audit 22EB). No Accept,
    `*/*` or a tie in favour of JSON keep application/json, which every client reads."""
    return request.get_preferred_type([JSON, GRAPHQL_RESPONSE_JSON]) or JSON


def bad_request(message: str) -> HttpError:
    return HttpError(HttpResponseBadRequest(), message)


def check_request_parameters(query, variables, operation_name, extensions) -> None:
    """The request's parameters have the types GraphQL over HTTP gives them, or a 400."""
    if not query:
        raise bad_request("Must provide query string.")
    if not isinstance(query, str):
        raise bad_request("query must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise bad_request("variables must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request("operationName must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise bad_request("extensions must be a JSON object")


def extensions_of(request, data: dict):
    """`extensions` from the body, or from GET's query string (as JSON text)."""
    if "extensions" in data:
        return data["extensions"]
    text = request.GET.get("extensions")
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise bad_request("extensions must be a JSON object") from exc


def refuse_non_query_over_get(request, operation) -> None:
    if request.method == "GET" and operation is not None:
        if operation.operation != OperationType.QUERY:
            raise HttpError(
                HttpResponseNotAllowed(
                    ["POST"],
                    f"Can only perform a {operation.operation.value} operation "
                    "from a POST request.",
                )
            )


def execute_document(schema, document, operation, options: dict) -> ExecutionResult:
    if operation is None or operation.operation != OperationType.MUTATION:
        return execute(schema, document, **options)
    # A mutation document that ends in any error leaves nothing stored.
    with transaction.atomic():
        result = execute(schema, document, **options)
        if result.errors:
            transaction.set_rollback(True)
    return result


class ProjectGraphQLView(GraphQLView):
    # graphene-django's page with its React/GraphiQL assets served by us, not a CDN
    # (config/static/graphiql/README.md).
    graphiql_template = "graphiql/page.html"

    def dispatch(self, request, *args, **kwargs):
        response = self.answer(request, *args, **kwargs)
        if response.get("Content-Type", "").startswith(JSON):
            media_type = response_media_type(request)
            if media_type != JSON:
                response["Content-Type"] = f"{media_type}; charset=utf-8"
        return response

    def answer(self, request, *args, **kwargs):
        # Read per request (not at import), so settings and tests can switch them.
        self.graphiql = settings.GRAPHIQL_ENABLED
        try:
            bearer_user = user_from_bearer(request)
        except InvalidCredentials as exc:
            message = f"Invalid bearer token: {exc}"
            return JsonResponse(
                {**error_payload(message), "errors": [{"message": message}]}, status=401
            )
        # Only the bearer token authenticates GraphQL: a session cookie must not, since this
        # view is exempt from CSRF. Resolvers read request.user through
        # accounts.graphql_permissions (scope_required).
        request.user = bearer_user or AnonymousUser()
        if self.graphiql and request.method == "GET" and self.can_display_graphiql(request, {}):
            return super().dispatch(request, *args, **kwargs)  # the GraphiQL page
        try:
            if request.method not in ("GET", "POST"):
                raise HttpError(
                    HttpResponseNotAllowed(
                        ["GET", "POST"], "GraphQL only supports GET and POST requests."
                    )
                )
            data = self.parse_body(request)
            result, status_code = self.get_response(request, data)
            return HttpResponse(status=status_code, content=result, content_type=JSON)
        except HttpError as error:
            response = error.response
            response["Content-Type"] = JSON
            response.content = self.json_encode(request, {"errors": [self.format_error(error)]})
            return response

    def parse_body(self, request):
        try:
            request.body  # noqa: B018 (reads the body under DATA_UPLOAD_MAX_MEMORY_SIZE)
        except RequestDataTooBig as exc:
            raise HttpError(JsonResponse({}, status=413), "Request body is too large") from exc
        try:
            data = super().parse_body(request)
        except RecursionError as exc:
            raise HttpError(
                HttpResponseBadRequest(), "POST body sent invalid JSON: nested too deeply"
            ) from exc
        return data if isinstance(data, dict) else {}

    def get_response(self, request, data, show_graphiql=False):
        result, status_code = super().get_response(request, data, show_graphiql)
        if getattr(request, AUTHENTICATION_REQUIRED_FLAG, False):
            status_code = 401
        return result, status_code

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ):
        check_request_parameters(query, variables, operation_name, extensions_of(request, data))
        schema = self.schema.graphql_schema
        try:
            document = document_for(schema, query)
        except RejectedDocument as rejected:
            return ExecutionResult(errors=list(rejected.errors))
        operation = get_operation_ast(document, operation_name)
        refuse_non_query_over_get(request, operation)
        options = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
        }
        result = execute_document(schema, document, operation, options)
        if result.errors and not settings.GRAPHQL_INTROSPECTION_ENABLED:
            # Coercing variables (enum values, input fields) can suggest names too.
            result.errors = without_suggestions(result.errors)
        if any(is_unauthenticated(error) for error in result.errors or ()):
            setattr(request, AUTHENTICATION_REQUIRED_FLAG, True)
        return result

    def json_encode(self, request, d, pretty=False):
        failed = "errors" in d and (
            "data" not in d or getattr(request, AUTHENTICATION_REQUIRED_FLAG, False)
        )
        if failed and d["errors"]:
            # Also the project's error shape (docs/contract.md §2), next to GraphQL's own `errors`.
            d = {**error_payload(d["errors"][0].get("message") or "Error"), **d}
        return super().json_encode(request, d, pretty)

    @staticmethod
    def format_error(error):
        original = getattr(error, "original_error", None)
        if original is not None and not isinstance(original, ApiError | GraphQLError):
            # A bug, not a client error: log it, and do not leak its text.
            logger.error("GraphQL resolver failed", exc_info=original)
            formatted = dict(error.formatted)
            formatted["message"] = INTERNAL_ERROR
            return formatted
        if isinstance(error, GraphQLError):
            return error.formatted
        return {"message": str(error)}
