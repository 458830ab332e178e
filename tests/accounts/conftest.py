"""Fixtures for the auth tests: JSON posting, and tokens forged the ways attackers forge them."""

import json
import time
import uuid

import jwt
import pytest

from tests.helpers.chromium import chromium, chromium_session  # noqa: F401 (fixtures for the admin test)


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
