"""drf-spectacular wiring, loaded only when /openapi.json or /docs is generated.

Apps describe their own authentication classes and views to drf-spectacular by subclassing
its extensions; those modules import drf-spectacular and DRF's serializers, so they are
imported here, by a preprocessing hook, instead of at start-up.

The postprocessing hook makes the document say what the contract says (docs/contract.md §2.2):
drf-spectacular names paths after our URL regexes (`^item/?$` → `/item/`), while the paths
are `/item`, `/item/{itemId}`... (a trailing slash is accepted too, never required); our
parsers read any Content-Type as JSON (`*/*`), which clients should send as
application/json; and /hello and /health are plain Django views it cannot see.
"""

TEXT = {"type": "string"}

PLAIN_DJANGO_OPERATIONS = {
    "/hello": {
        "get": {
            "operationId": "hello",
            "summary": "The book's first function: a greeting",
            "tags": ["hello"],
            "security": [],
            "parameters": [
                {
                    "name": "name",
                    "in": "query",
                    "required": False,
                    "schema": TEXT,
                    "description": "Who to greet.",
                }
            ],
            "responses": {
                "200": {
                    "description": "`Hello <name> 👋`",
                    "content": {"text/plain": {"schema": TEXT}},
                }
            },
        }
    },
    "/health": {
        "get": {
            "operationId": "health",
            "summary": "Can this instance serve?",
            "tags": ["health"],
            "security": [],
            "responses": {
                status: {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "status": {"type": "string", "enum": [value]},
                                    "database": TEXT,
                                    "stage": TEXT,
                                },
                                "required": ["status", "database"],
                            }
                        }
                    },
                }
                for status, value, description in (
                    ("200", "ok", "Healthy"),
                    ("503", "error", "A check failed (it says which)"),
                )
            },
        }
    },
}


def register_app_extensions(endpoints, **kwargs):
    # Here, not at start-up: accounts.api_docs imports drf-spectacular (module docstring).
    import accounts.api_docs  # noqa: F401 - registers the bearer JWT scheme by subclassing

    return endpoints


def contract_paths(result, generator, request, public):
    # Loaded by register_app_extensions above; named here for the same reason.
    from accounts.api_docs import AUTH_OPERATIONS

    paths = {}
    for path, operations in result["paths"].items():
        contract_path = path.rstrip("/") or "/"
        for method, operation in operations.items():
            _json_request_body(operation)
            overlay = AUTH_OPERATIONS.get(contract_path, {}).get(method)
            if overlay:
                operation.update(
                    summary=overlay["summary"], description=overlay["description"], tags=["auth"]
                )
                operation["responses"] = {**operation["responses"], **overlay["responses"]}
        paths[contract_path] = operations
    paths.update(PLAIN_DJANGO_OPERATIONS)
    result["paths"] = dict(sorted(paths.items(), key=lambda entry: entry[0].lower()))
    return result


def _json_request_body(operation: dict) -> None:
    """JSON, and required: every body of this API is (an empty one is a 400)."""
    body = operation.get("requestBody")
    if not body:
        return
    body["required"] = True
    if "*/*" in body["content"]:
        body["content"] = {"application/json": body["content"].pop("*/*"), **body["content"]}
