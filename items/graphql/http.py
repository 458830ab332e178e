"""graphene-django's GraphQLView with the project's rules: bearer-token auth, JSON errors,
bounded documents, GraphiQL and introspection switched by settings (off in prod).

Checked documents are memoized by their text: parsing and validating a query costs more
than running it, and clients send the same few queries again and again.
"""

import functools
import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from graphene.validation import DisableIntrospection
from graphene_django.views import GraphQLView, HttpError
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)

from accounts.authentication import InvalidCredentials, user_from_bearer
from api.errors import ApiError, error_payload
from items.graphql.auth import UNAUTHENTICATED
from items.graphql.query_limits import QueryBounds, query_bound_errors

logger = logging.getLogger("graphql")

INTERNAL_ERROR = "Internal server error"
CHECKED_DOCUMENTS_CACHED = 256
CACHEABLE_QUERY_LENGTH = 8192
# Set when a resolver refused an anonymous caller: the response is then a 401.
AUTHENTICATION_REQUIRED_FLAG = "graphql_authentication_required"


def is_unauthenticated(error) -> bool:
    return (getattr(error, "extensions", None) or {}).get("code") == UNAUTHENTICATED


def query_bounds() -> QueryBounds:
    return QueryBounds(
        max_depth=settings.GRAPHQL_MAX_DEPTH,
        max_fields=settings.GRAPHQL_MAX_FIELDS,
        max_aliases=settings.GRAPHQL_MAX_ALIASES,
        max_fragments=settings.GRAPHQL_MAX_FRAGMENTS,
    )


class RejectedDocument(Exception):
    def __init__(self, errors):
        super().__init__("rejected GraphQL document")
        self.errors = tuple(errors)


def check_document(schema, query: str, max_tokens: int, bounds: QueryBounds,
                   introspection: bool):
    """The parsed document of a query fit to execute; raises RejectedDocument otherwise."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        raise RejectedDocument([error]) from error
    # The bounds first: an abusive document must not reach the costlier standard rules.
    errors = query_bound_errors(document, bounds)
    if not errors:
        rules = specified_rules if introspection else (*specified_rules, DisableIntrospection)
        errors = validate(schema, document, rules)
    if errors:
        raise RejectedDocument(errors)
    return document


# Only accepted documents are memoized (lru_cache keeps no exceptions), and only short query
# texts, so hostile input can neither fill the cache nor pin large bodies in memory.
checked_document = functools.lru_cache(maxsize=CHECKED_DOCUMENTS_CACHED)(check_document)


def document_for(schema, query: str):
    arguments = (schema, query, settings.GRAPHQL_MAX_TOKENS, query_bounds(),
                 settings.GRAPHQL_INTROSPECTION_ENABLED)
    if len(query) <= CACHEABLE_QUERY_LENGTH:
        return checked_document(*arguments)
    return check_document(*arguments)


class ProjectGraphQLView(GraphQLView):
    # graphene-django's page with its React/GraphiQL assets served by us, not a CDN
    # (items/static/graphiql/README.md).
    graphiql_template = "graphiql/page.html"

    def dispatch(self, request, *args, **kwargs):
        # Read per request (not at import), so settings and tests can switch them.
        self.graphiql = settings.GRAPHIQL_ENABLED
        try:
            bearer_user = user_from_bearer(request)
        except InvalidCredentials as exc:
            message = f"Invalid bearer token: {exc}"
            return JsonResponse({**error_payload(message), "errors": [{"message": message}]},
                                status=401)
        # Only the bearer token authenticates GraphQL: a session cookie must not, since this
        # view is exempt from CSRF. Resolvers (and accounts' scope_required) read request.user.
        request.user = bearer_user or AnonymousUser()
        if self.graphiql and request.method == "GET" and self.can_display_graphiql(request, {}):
            return super().dispatch(request, *args, **kwargs)  # the GraphiQL page
        try:
            if request.method not in ("GET", "POST"):
                raise HttpError(HttpResponseNotAllowed(
                    ["GET", "POST"], "GraphQL only supports GET and POST requests."))
            data = self.parse_body(request)
            result, status_code = self.get_response(request, data)
            return HttpResponse(status=status_code, content=result,
                                content_type="application/json")
        except HttpError as error:
            response = error.response
            response["Content-Type"] = "application/json"
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
            raise HttpError(HttpResponseBadRequest(),
                            "POST body sent invalid JSON: nested too deeply") from exc
        return data if isinstance(data, dict) else {}

    def get_response(self, request, data, show_graphiql=False):
        result, status_code = super().get_response(request, data, show_graphiql)
        if getattr(request, AUTHENTICATION_REQUIRED_FLAG, False):
            status_code = 401
        return result, status_code

    def execute_graphql_request(self, request, data, query, variables, operation_name,
                                show_graphiql=False):
        if not query:
            raise HttpError(HttpResponseBadRequest(), "Must provide query string.")
        if not isinstance(query, str):
            raise HttpError(HttpResponseBadRequest(), "query must be a string")
        if variables is not None and not isinstance(variables, dict):
            raise HttpError(HttpResponseBadRequest(), "variables must be a JSON object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise HttpError(HttpResponseBadRequest(), "operationName must be a string")
        schema = self.schema.graphql_schema
        try:
            document = document_for(schema, query)
        except RejectedDocument as rejected:
            return ExecutionResult(errors=list(rejected.errors))

        operation = get_operation_ast(document, operation_name)
        is_mutation = operation is not None and operation.operation == OperationType.MUTATION
        if request.method == "GET" and operation is not None and (
                operation.operation != OperationType.QUERY):
            raise HttpError(HttpResponseNotAllowed(
                ["POST"], f"Can only perform a {operation.operation.value} operation "
                          "from a POST request."))
        options = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
        }
        if not is_mutation:
            result = execute(schema, document, **options)
        else:
            # A mutation document that ends in any error leaves nothing stored.
            with transaction.atomic():
                result = execute(schema, document, **options)
                if result.errors:
                    transaction.set_rollback(True)
        if any(is_unauthenticated(error) for error in result.errors or ()):
            setattr(request, AUTHENTICATION_REQUIRED_FLAG, True)
        return result

    def json_encode(self, request, d, pretty=False):
        failed = "errors" in d and (
            "data" not in d or getattr(request, AUTHENTICATION_REQUIRED_FLAG, False))
        if failed and d["errors"]:
            # Also the project's error shape (design §2), next to GraphQL's own `errors`.
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
