"""Schemas shared by every app's OpenAPI description (plain dicts: nothing heavy to import)."""

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


def error_response(description: str) -> dict:
    """An error answer as an OpenAPI response object (config.api_docs_hooks)."""
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def error_responses(descriptions: dict[int, str]) -> dict:
    """`extend_schema(responses={200: ..., **error_responses({404: "Item not found"})})`: a
    view's own error answers, in the one error shape. The answers every view of a kind gives
    (401, 403, 400/413 for a body, 429 for a throttle) are added by config.api_docs_hooks."""
    from drf_spectacular.utils import OpenApiResponse  # views import it already; /hello doesn't

    return {
        status: OpenApiResponse(ERROR, description=description)
        for status, description in descriptions.items()
    }
