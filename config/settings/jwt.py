"""JSON Web Tokens (djangorestframework-simplejwt).

The signing key is its own secret, not SECRET_KEY: rotating one must not invalidate the other.
"""

from datetime import timedelta

from config.env import env

SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=False)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY"),
    "AUDIENCE": env("JWT_AUDIENCE", default="serverless-handbook"),
    "ISSUER": env("JWT_ISSUER", default="serverless-handbook"),
    "LEEWAY": 5,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
