"""Fixtures for the auth tests: JSON posting, and tokens forged the ways attackers forge them."""

import json
import time
import uuid

import jwt
import pytest

GOOD_PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def post_json(client):
    """`post_json("/login", {...})` posts a JSON body with the test client."""

    def post(path: str, payload, **extra):
        body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        return client.post(path, data=body, content_type="application/json", **extra)

    return post


@pytest.fixture
def forge_token(settings):
    """Factory: an access-token-shaped JWT for `user` with any claim, key or algorithm changed."""

    def forge(user, *, key: str | None = None, algorithm: str = "HS256", **claims) -> str:
        now = int(time.time())
        payload = {
            "token_type": "access",
            "exp": now + 300,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "user_id": str(user.pk),
            "scope": "items:read items:write pipelines:run browser:use",
            "roles": ["member"],
            "aud": settings.SIMPLE_JWT["AUDIENCE"],
            "iss": settings.SIMPLE_JWT["ISSUER"],
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        signing_key = settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else key
        return jwt.encode(payload, signing_key, algorithm=algorithm)

    return forge


def unsigned_token(payload: dict) -> str:
    """`alg: none`: a header and payload with an empty signature."""
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def tamper_payload(token: str, **changes) -> str:
    """The same signature over a payload with claims changed (e.g. another user id)."""
    import base64

    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(changes)
    new_payload = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"
