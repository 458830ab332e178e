"""OpenAPI (drf-spectacular) for the auth endpoints (docs/contract.md §2.4): the bearer JWT
scheme, and what each endpoint answers besides its success (config.api_docs_hooks merges it
in)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme

from api.api_docs import ERROR


class ProjectJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.ProjectJWTAuthentication"
    # The name clients know from the published document (`securitySchemes`), not
    # SimpleJWTScheme's `jwtAuth`: renaming it would change every operation's `security`.
    name = "jwtBearer"


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


BAD_BODY = _error("Malformed JSON, not an object, or a field missing or invalid (`fields`)")
# Beyond what /openapi.json can state: Django's password validators (too short, too common,
# all digits, too like the username), a taken username, an invalid email.
REGISTRATION_REFUSED = _error(
    "A field missing or invalid, a taken username, an invalid email, or a password the "
    "password policy refuses (`fields` names which)"
)
TOO_LARGE = _error("Body over the size limit")

# path → method → summary, description and the error answers of the operation.
AUTH_OPERATIONS = {
    "/login": {
        "post": {
            "summary": "Sign in: a user and a token pair",
            "description": (
                "Username and password; when the stage signs up on first login, an "
                "unknown username is registered with that password."
            ),
            "responses": {
                # Sign-up on first login applies /register's rules to an unknown username.
                "400": REGISTRATION_REFUSED,
                "401": _error("Wrong username or password"),
                "413": TOO_LARGE,
                "429": _error("Too many failed logins for this username or address"),
            },
        }
    },
    "/register": {
        "post": {
            "summary": "Create an account",
            "description": "The password policy applies; the answer is a signed-in user.",
            "responses": {
                "400": REGISTRATION_REFUSED,
                "413": TOO_LARGE,
                "429": _error("Too many registrations from this address"),
            },
        }
    },
    "/verify": {
        "post": {
            "summary": "Is this access token valid?",
            "description": '200 {"status": "valid"}, or 401.',
            "responses": {
                "400": BAD_BODY,
                "401": _error("Invalid or expired token"),
                "413": TOO_LARGE,
            },
        }
    },
    "/token/refresh": {
        "post": {
            "summary": "A new token pair for a refresh token",
            "description": "Rotation is on: the refresh token sent is spent.",
            "responses": {
                "400": BAD_BODY,
                "401": _error("Invalid, expired or revoked refresh token"),
                "413": TOO_LARGE,
            },
        }
    },
    "/logout": {
        "post": {
            "summary": "Revoke a refresh token",
            "description": "The refresh token can no longer mint tokens.",
            "responses": {
                "400": BAD_BODY,
                "401": _error("Invalid or expired refresh token"),
                "413": TOO_LARGE,
            },
        }
    },
    "/password": {
        "post": {
            "summary": "Change your password: a new token pair",
            "description": (
                "Every refresh token of the user is revoked, and access tokens issued before "
                "stop working."
            ),
            "responses": {
                "400": _error(
                    "A field missing or invalid, the current password is incorrect "
                    "(`fields.old`), or the password policy refuses the new one (`fields.new`)"
                ),
                "413": TOO_LARGE,
                "429": _error("Too many failed password attempts"),
            },
        }
    },
    "/private": {
        "get": {
            "summary": "The book's private resource",
            "description": "Any valid access token; one fixed 401 otherwise.",
            "responses": {"401": _error("This is a private resource")},
        }
    },
}
