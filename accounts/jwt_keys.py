"""The keys that sign and verify JWTs, with rotation (docs/auth.md, "Rotating the keys"): sign
with `JWT_SIGNING_KEY`, also accept `JWT_SIGNING_KEY_FALLBACKS` until they are removed.
simplejwt's TokenBackend verifies HS256 with one key only, so `decode` tries one plain
TokenBackend per key, through its public decode. Verified payloads of recent tokens are kept
per process, keyed by the token's bytes and the key set, since verifying costs 0.09 ms of CPU
a request (docs/auth.md, "Performance"); only the time claims are checked again on a repeat.
"""

import copy
import time
from functools import lru_cache

from django.conf import settings
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

# HS256 wants a key of at least the hash's size (RFC 7518 §3.2); `check --deploy` enforces it.
MIN_SIGNING_KEY_BYTES = 32

# Per backend (one per key configuration): a warm Lambda or gunicorn worker sees a few users'
# tokens again and again; 1024 payloads are well under 1 MB.
VERIFIED_TOKENS_KEPT = 1024


class TokenBackendWithFallbacks(TokenBackend):
    """Signs with its own key; verifies with its own key, then with each fallback backend."""

    def __init__(self, *args, fallbacks: tuple[TokenBackend, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fallbacks = fallbacks
        self._verified_payload = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._decode_checked)

    def decode(self, token, verify: bool = True) -> dict:
        if not verify or not isinstance(token, str | bytes):
            return self._decode_checked(token, verify=verify)  # PyJWT words the refusal
        payload = self._verified_payload(token.encode() if isinstance(token, str) else token)
        expires = payload.get("exp")
        # PyJWT's own test, against the clock now rather than when the payload was kept.
        if (
            isinstance(expires, int | float)
            and expires <= time.time() - self.get_leeway().total_seconds()
        ):
            raise TokenBackendExpiredToken("Token is expired")
        return copy.deepcopy(payload)  # callers may set claims (rotation); the kept one stays

    def _decode_checked(self, token, verify: bool = True) -> dict:
        try:
            return super().decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise  # the signature matched (PyJWT checks it first): expired is the answer
        except TokenBackendError as current_key_error:
            if not verify:
                raise
            for fallback in self.fallbacks:
                try:
                    return fallback._decode_checked(token)
                except TokenBackendExpiredToken:
                    raise
                except TokenBackendError:
                    continue
            raise current_key_error from None


def signing_key_fallbacks() -> tuple[str, ...]:
    return tuple(key for key in getattr(settings, "JWT_SIGNING_KEY_FALLBACKS", ()) or () if key)


def project_token_backend() -> TokenBackendWithFallbacks:
    """The backend for the current settings, read at each use (nothing to forget when tests
    change them); the same object while they stay the same, so its verified tokens are kept."""
    # simplejwt rebinds its module-level api_settings when SIMPLE_JWT changes (tests).
    jwt_settings = simplejwt_settings.api_settings
    return _token_backend(
        (
            jwt_settings.ALGORITHM,
            jwt_settings.SIGNING_KEY,
            jwt_settings.VERIFYING_KEY,
            jwt_settings.AUDIENCE,
            jwt_settings.ISSUER,
            jwt_settings.JWK_URL,
            jwt_settings.LEEWAY,
            jwt_settings.JSON_ENCODER,
        ),
        signing_key_fallbacks(),
    )


@lru_cache(maxsize=8)
def _token_backend(arguments: tuple, fallback_keys: tuple[str, ...]) -> TokenBackendWithFallbacks:
    algorithm, signing_key, *rest = arguments
    fallbacks = tuple(TokenBackendWithFallbacks(algorithm, key, *rest) for key in fallback_keys)
    return TokenBackendWithFallbacks(algorithm, signing_key, *rest, fallbacks=fallbacks)
