"""The keys that sign and verify JWTs, with rotation: sign with `JWT_SIGNING_KEY`, and also
accept tokens signed with any key of `JWT_SIGNING_KEY_FALLBACKS` (old keys, verification
only) until they are removed. The procedure is in docs/auth.md ("Rotating the keys").

simplejwt 5.5's TokenBackend verifies HS256 with exactly one key (its signing key), so this
is a TokenBackend whose `decode` tries the current key, then one plain TokenBackend per old
key: simplejwt's own public decode for each, nothing of its internals. The token classes in
accounts.tokens use it.
"""

from django.conf import settings
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

# HS256 wants a key of at least the hash's size (RFC 7518 §3.2); `check --deploy` enforces it.
MIN_SIGNING_KEY_BYTES = 32


class TokenBackendWithFallbacks(TokenBackend):
    """Signs with its own key; verifies with its own key, then with each fallback backend."""

    def __init__(self, *args, fallbacks: tuple[TokenBackend, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fallbacks = fallbacks

    def decode(self, token, verify: bool = True) -> dict:
        try:
            return super().decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise  # the signature matched (PyJWT checks it first): expired is the answer
        except TokenBackendError as current_key_error:
            if not verify:
                raise
            for fallback in self.fallbacks:
                try:
                    return fallback.decode(token, verify=True)
                except TokenBackendExpiredToken:
                    raise
                except TokenBackendError:
                    continue
            raise current_key_error from None


def signing_key_fallbacks() -> tuple[str, ...]:
    return tuple(key for key in getattr(settings, "JWT_SIGNING_KEY_FALLBACKS", ()) or () if key)


def project_token_backend() -> TokenBackendWithFallbacks:
    """Built from the current settings at each use (a few microseconds; nothing to forget
    when tests change the settings)."""
    # simplejwt rebinds its module-level api_settings when SIMPLE_JWT changes (tests).
    jwt_settings = simplejwt_settings.api_settings

    def backend(signing_key: str, **extra) -> TokenBackend:
        return TokenBackendWithFallbacks(
            jwt_settings.ALGORITHM,
            signing_key,
            jwt_settings.VERIFYING_KEY,
            jwt_settings.AUDIENCE,
            jwt_settings.ISSUER,
            jwt_settings.JWK_URL,
            jwt_settings.LEEWAY,
            jwt_settings.JSON_ENCODER,
            **extra,
        )

    fallbacks = tuple(backend(key) for key in signing_key_fallbacks())
    return backend(jwt_settings.SIGNING_KEY, fallbacks=fallbacks)
