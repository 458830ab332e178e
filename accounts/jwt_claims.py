"""Reading the claims this project puts in its tokens, strictly.

A signed token is trusted to have been minted by us, but the code must not depend on that
for its types: a key that leaked, a fallback key, a token minted by an older release. What
simplejwt and the ORM would do with a claim of the wrong type is a 500 (`ValueError`) or,
worse, a different user (`True` → 1, `2.5` → 2, a fullwidth `"1"` (U+FF11) → 1). So each
claim is read here, and anything that is not what we mint is refused.
"""

# Claims of our own (simplejwt's `user_id`, `jti`, `exp`, `token_type` are its settings).
TOKEN_GENERATION_CLAIM = "gen"  # noqa: S105 - a claim name, not a secret
# Access tokens only; as RFC 9068 (JWT access tokens) spells the scope claim: one
# space-separated string.
SCOPE_CLAIM = "scope"
ROLES_CLAIM = "roles"

# PostgreSQL's bigint (the user table's BigAutoField); a larger id matches no row, and
# sending it to the database would be an error, not "no such user".
_MAX_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(_MAX_ID))


class InvalidClaim(ValueError):
    """A claim of the wrong type or out of range: the token is refused (401)."""


def user_id_from_claim(value) -> int:
    """The user id in a token: a JSON integer (not a boolean) or the canonical ASCII decimal
    string simplejwt mints (`str(user.pk)`: no sign, no leading zero, no spaces, no other
    digits than 0-9). Raises InvalidClaim otherwise."""
    if isinstance(value, bool):
        raise InvalidClaim("user id is a boolean")
    if isinstance(value, int):
        number = value
    elif (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_ID_DIGITS
        and value.isascii()
        and value.isdigit()
        and not value.startswith("0")
    ):
        number = int(value)
    else:
        raise InvalidClaim("user id is not an integer")
    if not 1 <= number <= _MAX_ID:
        raise InvalidClaim("user id is out of range")
    return number


def token_generation_from_claims(claims) -> int:
    """The user's token generation when the token was minted (see accounts.token_revocation).

    Tokens minted before the claim existed have none: generation 0, which every user had
    until their first password change, so those tokens stop working at that change too.
    """
    value = claims.get(TOKEN_GENERATION_CLAIM, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID:
        raise InvalidClaim("token generation is not a non-negative integer")
    return value
