"""Checking a GraphQL document before it runs, and remembering the verdict (the /graphql
view, config/graphql/http.py, calls document_for): parsing and validating cost more than
running, and clients repeat the same few queries. What is refused and what is remembered:
docs/items.md "GraphQL".
"""

import functools
import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from graphql import GraphQLError, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from config.graphql.query_limits import QueryBounds, query_bound_errors

CHECKED_DOCUMENTS_CACHED = 256
REJECTED_DOCUMENTS_CACHED = 256
CACHEABLE_QUERY_LENGTH = 8192


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
