"""Django REST framework and its OpenAPI generator (drf-spectacular)."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ProjectJWTAuthentication",
    ],
    # Authenticated, and holding every scope in the view's `required_scopes` (none: any user).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.drf_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Serverless Handbook API",
    "DESCRIPTION": "The book's REST, auth and pipeline endpoints.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["config.api_docs_hooks.register_app_extensions"],
    # drf-spectacular's default enum hook, then ours: the paths exactly as the contract
    # writes them (config/api_docs_hooks.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_docs_hooks.contract_paths",
    ],
    # /docs: Swagger UI from drf-spectacular-sidecar's static files, served by the app
    # itself (no CDN; the page works offline and behind a strict network policy).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": True,
        "validatorUrl": None,
    },
}
