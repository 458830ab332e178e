"""Who is calling: the user behind a request's `Authorization: Bearer <JWT>` header.

DRF views authenticate through ProjectJWTAuthentication; code outside DRF (the GraphQL view)
calls `user_from_bearer`, which runs the same class, so both accept exactly the same tokens
(docs/auth.md, "Tokens"), including a user that exists, is active and has not changed their
password since (the token's `gen` equals `token_generation`). The validated token is kept in
`request.auth`, where accounts.selectors reads scopes and roles.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.jwt_claims import InvalidClaim, token_generation_from_claims, user_id_from_claim
from accounts.tokens import TokenRejected

# simplejwt's own message for a token without a usable user id.
NO_USER_ID_MESSAGE = "Token contained no recognizable user identification"

# The columns the per-request check reads: what it decides on, plus what requests use without
# a further query (the owner's id, `/private`'s username, scopes_for_user's is_superuser). Any other
# field loads on first use (a deferred field: one query, and never on the hot paths).
REQUEST_USER_FIELDS = ("id", "username", "is_active", "is_superuser", "token_generation")


class InvalidCredentials(Exception):
    """A bearer token was sent but is not acceptable (bad signature, expired, revoked...)."""


def _message(exc) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        detail = detail.get("detail", detail)
    return str(detail if detail is not None else exc)


class ProjectJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication (token checks, user lookup, active check), plus what the
    project's tokens add: the user id read strictly, and the password-change generation.

    A signed token whose user id is not what we mint gets a 401 where simplejwt 5.5.1 hands
    it to the ORM (a 500 for "abc", another user for `True` or 2.5).
    """

    def get_user(self, validated_token):
        try:
            user_id = user_id_from_claim(validated_token[api_settings.USER_ID_CLAIM])
            generation = token_generation_from_claims(validated_token)
        except (KeyError, InvalidClaim) as exc:
            raise InvalidToken(NO_USER_ID_MESSAGE) from exc
        # simplejwt's own checks (the row exists, is active), on a lighter read of the row.
        user = request_user_get(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if generation != user.token_generation:
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user


@cache
def _user_select(user_model) -> tuple[str, list[str]]:
    """The SELECT for REQUEST_USER_FIELDS and the attnames it returns, in the model's field
    order (the order `from_db` expects)."""
    fields = [f for f in user_model._meta.concrete_fields if f.name in REQUEST_USER_FIELDS]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    # Names from the model's metadata, the id a query parameter: nothing from the request.
    table, key = user_model._meta.db_table, user_model._meta.pk.column
    sql = f'SELECT {columns} FROM "{table}" WHERE "{key}" = %s'  # noqa: S608
    return sql, [field.attname for field in fields]


def request_user_get(user_id: int):
    """The user with this id, REQUEST_USER_FIELDS loaded, or None when there is none.

    Every authenticated request runs this, so it is written as SQL once (SQL-standard quoted
    names: PostgreSQL and SQLite) and the row becomes a model instance through `from_db`, the
    ORM's public loading hook: `User.objects.get` spent about 0.37 ms of CPU per request
    compiling a 14-column SELECT (benchmarks/items_latency.py, README "Performance").
    """
    user_model = get_user_model()
    sql, attnames = _user_select(user_model)
    database = router.db_for_read(user_model)
    with connections[database].cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return user_model.from_db(database, attnames, row)


def authenticate_raw_token(raw_token: str | bytes):
    """(user, validated token) for a raw access token; raises InvalidCredentials."""
    authentication = ProjectJWTAuthentication()
    if isinstance(raw_token, str):
        raw_token = raw_token.encode()
    try:
        token = authentication.get_validated_token(raw_token)
        return authentication.get_user(token), token
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(_message(exc)) from exc


def access_token_validate(raw_token: str):
    """The user an access token stands for, checked exactly as a Bearer header is."""
    try:
        user, _token = authenticate_raw_token(raw_token)
    except InvalidCredentials as exc:
        raise TokenRejected(str(exc)) from exc
    return user


def user_from_bearer(request):
    """The authenticated user, None when no bearer token was sent; raises InvalidCredentials.

    On success the token is kept on the request as `request.auth`, where DRF keeps it.
    """
    try:
        result = ProjectJWTAuthentication().authenticate(request)
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(_message(exc)) from exc
    if result is None:
        return None
    user, request.auth = result
    return user
