"""What the auth tests share besides fixtures: a password the policy accepts, and tokens
forged the ways attackers forge them."""

import base64
import json

GOOD_PASSWORD = "correct-horse-battery-9"


def unsigned_token(payload: dict) -> str:
    """`alg: none`: a header and payload with an empty signature."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def tamper_payload(token: str, **changes) -> str:
    """The same signature over a payload with claims changed (e.g. another user id)."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(changes)
    new_payload = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"
