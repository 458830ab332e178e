"""Schemas shared by every app's OpenAPI description (plain dicts: nothing to import)."""

ERROR = {
    "type": "object",
    "description": "The one error shape of the API (docs/contract.md §2).",
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "error": {"type": "string", "description": "What went wrong, for a person."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Per input field, when the mistake is in one.",
        },
    },
    "required": ["status", "error"],
}
