"""graphene-django's GraphQLView with the project's rules: bearer-token auth, JSON errors,
bounded documents, GraphiQL and introspection switched by settings (off in prod).

Where introspection is off, `__schema` and `__type` are refused but `__typename` is not
(Apollo Client and Relay add it to every selection), and validation errors carry no
"Did you mean ...?" suggestions, which would spell the schema out field by field.

Checked documents are memoized by their text: parsing and validating a query costs more
than running it, and clients send the same few queries again and again. Rejected documents
are remembered too (apart, so a flood of bad ones cannot evict the good ones): sending the
same abusive document again costs a dictionary lookup.
"""

import functools
import logging
import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
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
from graphql.validation import NoSchemaIntrospectionCustomRule

from accounts.authentication import InvalidCredentials, user_from_bearer
from accounts.graphql_permissions import UNAUTHENTICATED
from api.errors import ApiError, error_payload
from config.graphql.query_limits import QueryBounds, query_bound_errors

logger = logging.getLogger("graphql")

INTERNAL_ERROR = "Internal server error"
CHECKED_DOCUMENTS_CACHED = 256
REJECTED_DOCUMENTS_CACHED = 256
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


SUGGESTION = " Did you mean "


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """The error without graphql-core's trailing " Did you mean 'item'?" (graphql-core 3.2
    has no switch for it; every rule appends it last, through pyutils.did_you_mean)."""
    message = error.message
    start = message.rfind(SUGGESTION)
    if start < 0 or not message.endswith("?"):
        return error
    return GraphQLError(
        message[:start],
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


def without_suggestions(errors):
    # Errors a resolver raised are the project's own text: only graphql-core's are touched.
    return [
        error if error.original_error is not None else without_suggestion(error) for error in errors
    ]


def check_document(schema, query: str, max_tokens: int, bounds: QueryBounds, introspection: bool):
    """The parsed document of a query fit to execute; raises RejectedDocument otherwise."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        raise RejectedDocument([error]) from error
    # The bounds first: an abusive document must not reach the costlier standard rules.
    errors = query_bound_errors(document, bounds)
    if not errors:
        if introspection:
            errors = validate(schema, document, specified_rules)
        else:
            # graphql-core's rule refuses fields of introspection types (__schema, __type
            # and below), not __typename; graphene's DisableIntrospection refuses any "__".
            errors = without_suggestions(
                validate(schema, document, (*specified_rules, NoSchemaIntrospectionCustomRule))
            )
    if errors:
        raise RejectedDocument(errors)
    return document


# Only accepted documents are memoized here (lru_cache keeps no exceptions), and only short
# query texts, so hostile input can neither fill the cache nor pin large bodies in memory.
checked_document = functools.lru_cache(maxsize=CHECKED_DOCUMENTS_CACHED)(check_document)


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class RejectionCache:
    """The errors of the most recently rejected documents, least recently used out first.

    Keyed like checked_document (query text and the settings that judged it); thread-safe,
    since a worker may serve requests on several threads.
    """

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._errors: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0

    def get(self, key) -> tuple | None:
        with self._lock:
            errors = self._errors.get(key)
            if errors is None:
                self._misses += 1
                return None
            self._errors.move_to_end(key)
            self._hits += 1
            return errors

    def put(self, key, errors: tuple) -> None:
        with self._lock:
            self._errors[key] = errors
            self._errors.move_to_end(key)
            while len(self._errors) > self.maxsize:
                self._errors.popitem(last=False)

    def cache_info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._misses, self.maxsize, len(self._errors))

    def cache_clear(self) -> None:
        with self._lock:
            self._errors.clear()
            self._hits = self._misses = 0


rejected_documents = RejectionCache(maxsize=REJECTED_DOCUMENTS_CACHED)


def document_for(schema, query: str):
    arguments = (
        schema,
        query,
        settings.GRAPHQL_MAX_TOKENS,
        query_bounds(),
        settings.GRAPHQL_INTROSPECTION_ENABLED,
    )
    if len(query) > CACHEABLE_QUERY_LENGTH:
        # Not remembered either way; parsing stops at GRAPHQL_MAX_TOKENS and the bounds
        # cost a walk proportional to the text, so a long bad document stays cheap.
        return check_document(*arguments)
    errors = rejected_documents.get(arguments)
    if errors is not None:
        raise RejectedDocument(errors)  # a fresh exception: re-raising one would grow its traceback
    try:
        return checked_document(*arguments)
    except RejectedDocument as rejected:
        rejected_documents.put(arguments, rejected.errors)
        raise


class ProjectGraphQLView(GraphQLView):
    # graphene-django's page with its React/GraphiQL assets served by us, not a CDN
    # (config/static/graphiql/README.md).
    graphiql_template = "graphiql/page.html"

    def dispatch(self, request, *args, **kwargs):
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
        # accounts.graphql_permissions (scope_required / role_required).
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
            return HttpResponse(status=status_code, content=result, content_type="application/json")
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
        if (
            request.method == "GET"
            and operation is not None
            and (operation.operation != OperationType.QUERY)
        ):
            raise HttpError(
                HttpResponseNotAllowed(
                    ["POST"],
                    f"Can only perform a {operation.operation.value} operation "
                    "from a POST request.",
                )
            )
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
