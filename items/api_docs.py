"""The OpenAPI description of the items REST API (served by drf-spectacular at /openapi.json).

Written as schemas, not serializers, because an item is an open JSON object: the client's
own fields sit at top level next to the server's (additionalProperties).
"""

import copy

from api import api_docs as shared_api_docs

ITEM_ID = {"type": "string", "format": "uuid", "description": "Assigned by the server."}
# What the path takes: any text. An id that is not one of ours is an unknown item (404, or
# DELETE's `"itemWas": null`), never a 400: the client cannot know our id format.
ITEM_ID_IN_PATH = {"type": "string", "description": "The item's itemId."}
# A cursor is the URL-safe base64 text the API issued as `next` (empty: the first page); one
# it did not issue is a 400.
CURSOR = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"}
TIMESTAMP = {
    "type": "string",
    "format": "date-time",
    "example": "2020-04-16T15:47:34.325Z",
    "description": "ISO 8601 UTC with milliseconds.",
}

ITEM = {
    "type": "object",
    "description": "The client's fields at top level plus the server's itemId and timestamps.",
    "properties": {
        "itemId": ITEM_ID,
        "createdAt": TIMESTAMP,
        "lastUpdatedAt": TIMESTAMP,
        "name": {"type": "string"},
        "body": {"type": "string"},
    },
    "required": ["itemId", "createdAt", "lastUpdatedAt"],
    "additionalProperties": True,
}

# Postgres text and jsonb cannot hold NUL: no string of an item may carry one. Keys say so
# in the prose only (OAS 3.0 has no propertyNames).
NO_NUL = "^[^\\u0000]*$"
STORABLE_STRING = {"type": "string", "pattern": NO_NUL, "nullable": True}
# Any JSON value whose strings hold no NUL, nested to any depth: a component, since it refers
# to itself (config.api_docs_hooks adds it to the document's components).
STORABLE_VALUE_NAME = "StorableJsonValue"
STORABLE_VALUE_REF = {"$ref": f"#/components/schemas/{STORABLE_VALUE_NAME}"}
STORABLE_VALUE = {
    "description": "Any JSON value; no string in it holds a NUL character (\\u0000).",
    "nullable": True,
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": STORABLE_VALUE_REF},
        {"type": "object", "additionalProperties": STORABLE_VALUE_REF},
    ],
}

ITEM_INPUT = {
    "type": "object",
    "description": (
        "Any JSON object. `name` and `body` must be strings (null removes them); itemId, "
        "createdAt and lastUpdatedAt are ignored. Nesting deeper than 64 levels, NUL "
        "characters (\\u0000) and unpaired surrogates anywhere are refused with 400."
    ),
    "properties": {
        "name": STORABLE_STRING,
        "body": STORABLE_STRING,
    },
    "additionalProperties": STORABLE_VALUE_REF,
}

ITEM_RESPONSE = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["success"]}, "item": ITEM},
    "required": ["status", "item"],
}

DELETED_ITEM_RESPONSE = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "itemWas": {
            **copy.deepcopy(ITEM),
            "nullable": True,
            "description": "The item as it was; null when there was nothing to delete.",
        },
    },
    "required": ["status", "itemWas"],
}

ITEM_LIST_RESPONSE = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "items": {"type": "array", "items": ITEM},
        "next": {
            "type": "string",
            "nullable": True,
            "description": "Pass as ?cursor= for the next page; null on the last page.",
        },
    },
    "required": ["status", "items", "next"],
}

ERROR = shared_api_docs.ERROR
