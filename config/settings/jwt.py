"""Authentication: JSON Web Tokens (djangorestframework-simplejwt), sign-up, login throttling.

The signing key is its own secret, not SECRET_KEY: rotating one must not invalidate the other.
See docs/auth.md.
"""

from datetime import timedelta

from config.env import env

# The book's behaviour (an unknown username is registered by its first login) is for stages
# where anyone may create accounts; on shared stages it would let anyone probe usernames.
# Off unless the environment module turns it on (config/django: local, test, the dev stage).
SIGN_UP_ON_FIRST_LOGIN = env.bool("SIGN_UP_ON_FIRST_LOGIN", default=False)

# Roles every new user receives (registration, sign-up on first login, create_user).
ACCOUNTS_DEFAULT_ROLES = env.list("ACCOUNTS_DEFAULT_ROLES", default=["member"])

# Failed logins, counted in the database over a sliding window (a Lambda fleet shares no
# memory): past either limit, /login answers 429 with Retry-After until the window frees up.
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
# Registrations (/register and sign-up on first login) per client address (IPv6: per /64),
# counted in the database like failed logins; taken names count too (enumeration).
REGISTRATION_WINDOW_SECONDS = env.int("REGISTRATION_WINDOW_SECONDS", default=60 * 60)
REGISTRATIONS_PER_ADDRESS = env.int("REGISTRATIONS_PER_ADDRESS", default=10)

# Off Lambda (gunicorn behind a load balancer): how many proxies in front of the app append
# to X-Forwarded-For. 0 trusts only the socket's address. On Lambda the address always comes
# from API Gateway's requestContext, never from a header.
CLIENT_ADDRESS_PROXY_HOPS = env.int("CLIENT_ADDRESS_PROXY_HOPS", default=0)

# Key rotation: old signing keys, comma-separated, accepted to verify tokens (never to sign)
# until the longest token lifetime (JWT_REFRESH_DAYS) has passed since the rotation; then
# remove them. `check --deploy` refuses keys under 32 bytes. Procedure: docs/auth.md.
JWT_SIGNING_KEY_FALLBACKS = env.list("JWT_SIGNING_KEY_FALLBACKS", default=[])

# The rates of the per-user budgets the apps declare (<app>/access_rules.py), counted in the
# database by accounts.throttles.budgets: "<count>/<second|minute|hour|day>"; a count of 0
# turns one off (empty: the default). Past it: 429 with Retry-After. The browser's budget
# has its own setting (BROWSER_THROTTLE_RATE). Docs: docs/auth.md ("Rate limits per user").
RATE_LIMITS = {
    "item-writes": env("RATE_LIMIT_ITEM_WRITES", default="") or "60/minute",
    "pipeline-runs": env("RATE_LIMIT_PIPELINE_RUNS", default="") or "30/hour",
    # Local PUTs of upload files (each up to maxBytes of disk and bandwidth).
    "pipeline-upload-puts": env("RATE_LIMIT_PIPELINE_UPLOAD_PUTS", default="") or "60/hour",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY"),
    # The project's token classes verify with JWT_SIGNING_KEY_FALLBACKS too (accounts.jwt_keys).
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.ProjectAccessToken",),
    "AUDIENCE": env("JWT_AUDIENCE", default="serverless-handbook"),
    "ISSUER": env("JWT_ISSUER", default="serverless-handbook"),
    "LEEWAY": 5,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "CHECK_USER_IS_ACTIVE": True,
}
