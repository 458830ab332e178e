"""drf-spectacular wiring, loaded only when /openapi.json or /docs is generated: the apps'
extensions are imported by the preprocessing hook, not at start-up; the postprocessing hook
makes the document say what the contract says (paths, media types, /hello and /health, the
errors each kind of view answers). How: docs/items.md "REST".
"""

from api.api_docs import error_response

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
    from items.api_docs import STORABLE_VALUE, STORABLE_VALUE_NAME

    view_classes = {
        (path, method.lower()): callback.cls for path, _, method, callback in generator.endpoints
    }
    paths = {}
    for path, operations in result["paths"].items():
        contract_path = path.rstrip("/") or "/"
        for method, operation in operations.items():
            _json_request_body(operation)
            view_class = view_classes.get((path, method))
            for status, description in _kind_errors(view_class, method, operation).items():
                operation["responses"].setdefault(status, error_response(description))
            overlay = AUTH_OPERATIONS.get(contract_path, {}).get(method)
            if overlay:
                operation.update(
                    summary=overlay["summary"], description=overlay["description"], tags=["auth"]
                )
                operation["responses"] = {**operation["responses"], **overlay["responses"]}
        paths[contract_path] = operations
    paths.update(PLAIN_DJANGO_OPERATIONS)
    result["paths"] = dict(sorted(paths.items(), key=lambda entry: entry[0].lower()))
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[STORABLE_VALUE_NAME] = STORABLE_VALUE
    return result


def _kind_errors(view_class, method: str, operation: dict) -> dict[str, str]:
    """The error statuses an operation answers because of what kind of view it is."""
    errors = {}
    if operation.get("requestBody"):
        errors["400"] = "No body, malformed JSON, or not the shape this operation takes"
        errors["413"] = "Body over the size limit"
    if view_class is None:
        return errors
    return {**errors, **_access_errors(view_class, method)}


def _access_errors(view_class, method: str) -> dict[str, str]:
    """401, 403 and 429, read from the view's authentication, permission and throttles."""
    from rest_framework.permissions import AllowAny

    from accounts.permissions import HasScopes
    from accounts.throttles.budgets import UserRateLimit

    errors = {}
    permissions = tuple(view_class.permission_classes)
    if view_class.authentication_classes and not all(
        issubclass(permission, AllowAny) for permission in permissions
    ):
        errors["401"] = "No or invalid bearer token"
    if any(issubclass(permission, HasScopes) for permission in permissions):
        errors["403"] = "The token lacks a scope this operation needs"
    # UserRateLimit counts unsafe methods only (accounts.throttles.budgets).
    if any(
        not issubclass(throttle, UserRateLimit) or method.upper() not in ("GET", "HEAD")
        for throttle in view_class.throttle_classes
    ):
        errors["429"] = "Too many requests by this user for now (Retry-After says when)"
    return errors


def _json_request_body(operation: dict) -> None:
    """JSON, and required: every body of this API is (an empty one is a 400)."""
    body = operation.get("requestBody")
    if not body:
        return
    body["required"] = True
    if "*/*" in body["content"]:
        body["content"] = {"application/json": body["content"].pop("*/*"), **body["content"]}
