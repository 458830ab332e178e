"""The OpenAPI description of the pipelines' HTTP API (docs/contract.md §2.5), as plain schemas: the
bodies are JSON arrays, which no serializer describes. Imported by pipelines.apis (only
dicts: nothing heavy at start-up)."""

from api import api_docs as shared_api_docs
from pipelines.arithmetic import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS

ARRAY_ID = {"type": "string", "format": "uuid"}
ERROR = shared_api_docs.ERROR

NUMBERS = {
    "type": "array",
    "items": {"type": "number"},
    "description": (
        "The numbers to double and sum. Each has at most "
        f"{MAX_INTEGER_DIGITS} digits before the decimal point and {MAX_FRACTION_DIGITS} "
        "after it; decimals are kept exact (never floats). At most PIPELINE_MAX_ELEMENTS "
        "elements (100 000 by default)."
    ),
    "example": [1, 2.5, -3],
}
TEXTS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "The texts whose words to count. At most PIPELINE_MAX_ELEMENTS elements.",
    "example": ["the quick fox", "The dog"],
}
SUM = {
    "type": "number",
    "nullable": True,
    "description": "sum(2*x for x in array), exact; null until the run is done.",
}
WORD_COUNTS = {
    "type": "object",
    "nullable": True,
    "additionalProperties": {"type": "integer"},
    "description": "Lower-cased word → count; null until the run is done.",
}


UPLOAD_ID = {"type": "string", "format": "uuid"}
# The file is never empty: a 0-byte PUT is refused (docs/contract.md §2.5).
UPLOAD_BODY = {"type": "string", "format": "binary", "minLength": 1}


def start_input(elements: dict) -> dict:
    """The array itself, or {"upload": "<uploadId>"} for an uploaded file."""
    return {
        "oneOf": [
            elements,
            {
                "type": "object",
                "properties": {"upload": UPLOAD_ID},
                "required": ["upload"],
                "additionalProperties": False,
            },
        ]
    }


def started(elements: dict) -> dict:
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["success"]},
            "array": elements,
            "arrayId": ARRAY_ID,
            "upload": {
                "type": "string",
                "description": (
                    'Instead of "array" when the body was {"upload": "<uploadId>"}: the input '
                    "is that uploaded file (docs/pipelines.md, Big inputs)"
                ),
            },
            "queued": {
                "type": "boolean",
                "description": (
                    "false: the queue did not answer; the run is stored and the cleanup job "
                    "queues it within minutes"
                ),
            },
            "message": {"type": "string", "description": "Only when queued is false."},
        },
        "required": ["status", "arrayId", "queued"],
    }


def state(result: dict) -> dict:
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["success"]},
            "arrayId": ARRAY_ID,
            "state": {"type": "string", "enum": ["pending", "done", "failed"]},
            "result": result,
            "arrayLength": {
                "type": "integer",
                "description": "Elements of the input. A run over an uploaded file counts "
                "those of the byte ranges read so far: final once the run is done.",
            },
            "elementsReduced": {"type": "integer"},
            "failureReason": {"type": "string", "description": "Only when failed."},
        },
        "required": ["status", "arrayId", "state", "result", "arrayLength"],
    }


UPLOAD_TARGET = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "uploadId": {"type": "string", "format": "uuid"},
        "method": {
            "type": "string",
            "enum": ["POST", "PUT"],
            "description": (
                "POST: a multipart form to uploadUrl with every field, then the file (S3); PUT: "
                "the file as the body to uploadUrl, with the bearer token"
            ),
        },
        "uploadUrl": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "maxBytes": {"type": "integer"},
    },
    "required": ["status", "uploadId", "method", "uploadUrl", "fields", "maxBytes"],
}
UPLOAD_STORED = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["success"]},
        "uploadId": {"type": "string"},
        "bytes": {"type": "integer"},
    },
    "required": ["status", "uploadId", "bytes"],
}
