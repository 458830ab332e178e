"""Cross-origin access for the book's browser clients (django-cors-headers)."""

from config.env import env

CORS_ALLOW_ALL_ORIGINS = env.bool("CORS_ALLOW_ALL_ORIGINS", default=False)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Every API path; the admin is same-origin only.
CORS_URLS_REGEX = r"^(?!/admin/).*$"
