"""`manage.py check --deploy`: the JWT keys are long enough, and rotation is set up sanely.

Kept free of simplejwt/PyJWT imports: the app registers these checks at every start-up.
Django checks SECRET_KEY and SECRET_KEY_FALLBACKS itself (security.W009, security.W025).
"""

from django.conf import settings
from django.core import checks

# Same figure as accounts.jwt_keys.MIN_SIGNING_KEY_BYTES (not imported: see above).
MIN_SIGNING_KEY_BYTES = 32


def _key_bytes(key) -> int:
    return len(key.encode()) if isinstance(key, str) else len(key or b"")


@checks.register(checks.Tags.security, deploy=True)
def jwt_signing_keys_are_strong(app_configs=None, **kwargs):
    jwt_settings = getattr(settings, "SIMPLE_JWT", {}) or {}
    signing_key = jwt_settings.get("SIGNING_KEY") or ""
    fallbacks = list(getattr(settings, "JWT_SIGNING_KEY_FALLBACKS", ()) or ())
    errors = []
    if _key_bytes(signing_key) < MIN_SIGNING_KEY_BYTES:
        errors.append(
            checks.Error(
                f"JWT_SIGNING_KEY is {_key_bytes(signing_key)} bytes; HS256 needs at least "
                f"{MIN_SIGNING_KEY_BYTES}.",
                hint=(
                    "Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
                ),
                id="accounts.E001",
            )
        )
    for position, key in enumerate(fallbacks, start=1):
        if _key_bytes(key) < MIN_SIGNING_KEY_BYTES:
            errors.append(
                checks.Error(
                    f"JWT_SIGNING_KEY_FALLBACKS entry {position} is {_key_bytes(key)} bytes; "
                    f"HS256 needs at least {MIN_SIGNING_KEY_BYTES}.",
                    hint="An old key that short should not be accepted: drop it (its tokens "
                    "then need a new login).",
                    id="accounts.E002",
                )
            )
    if signing_key and signing_key == getattr(settings, "SECRET_KEY", None):
        errors.append(
            checks.Error(
                "JWT_SIGNING_KEY equals SECRET_KEY; they must be separate secrets, so that "
                "rotating one does not invalidate (or expose) the other.",
                id="accounts.E003",
            )
        )
    return errors
