"""Who is calling: the user behind a request's `Authorization: Bearer <JWT>` header.

DRF views authenticate through ProjectJWTAuthentication; code outside DRF (the GraphQL
view) calls `user_from_bearer`, which runs the same class, so both accept exactly the same
tokens: signature (HS256 only, so `alg: none` and algorithm swaps fail), audience, issuer,
expiry, token type `access`, a user id of the type we mint (accounts.jwt_claims), and a user
that exists, is active and has not changed their password since the token was minted (the
token's `gen` claim equals the user's `token_generation`), at the time of the request.

Where the validated token is kept: `request.jwt_token` (the simplejwt AccessToken) and
`request.jwt_scopes` (a frozenset of scope names) on the Django request; DRF views also
have it as `request.auth`.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.jwt_claims import InvalidClaim, token_generation_from_claims, user_id_from_claim
from accounts.jwt_keys import project_token_backend
from accounts.scopes import token_scopes
from accounts.tokens import ProjectAccessToken


class InvalidCredentials(Exception):
    """A bearer token was sent but is not acceptable (bad signature, expired, revoked...)."""


def _message(exc) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        detail = detail.get("detail", detail)
    return str(detail if detail is not None else exc)


def remember_token(request, token) -> None:
    """Keep the validated token on the Django request (under DRF's Request too)."""
    django_request = getattr(request, "_request", request)
    django_request.jwt_token = token
    django_request.jwt_scopes = token_scopes(token)


@dataclass(frozen=True)
class _UserByIdQuery:
    sql: str
    attnames: tuple[str, ...]
    # (position, column, converters) for the columns whose raw value the ORM's compiler
    # would convert (e.g. SQLite's text → aware datetime); the others are used as they come.
    converters: tuple
    id_field: object
    id_range: tuple[int | None, int | None]


@cache
def _user_by_id_query(alias: str) -> _UserByIdQuery:
    User = get_user_model()
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = list(User._meta.concrete_fields)
    id_field = User._meta.get_field(api_settings.USER_ID_FIELD)
    columns = ", ".join(quote(field.column) for field in fields)
    # Identifiers come from the model and are quoted; the id is a bound parameter.
    sql = (f"SELECT {columns} FROM {quote(User._meta.db_table)} "  # noqa: S608
           f"WHERE {quote(id_field.column)} = %s")
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(User._meta.db_table)
        column_converters = (*connection.ops.get_db_converters(column),
                             *column.get_db_converters(connection))
        if column_converters:
            converters.append((position, column, column_converters))
    id_range = (None, None)
    if isinstance(id_field, models.IntegerField):
        id_range = connection.ops.integer_field_range(id_field.get_internal_type())
    return _UserByIdQuery(sql, tuple(field.attname for field in fields), tuple(converters),
                          id_field, id_range)


def _in_range(value, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def user_by_id(user_id):
    """The user with this id, or None, in one plain query.

    Every authenticated request runs this (an inactive user must lose access at once, so
    it cannot be cached per process). Building the same `objects.get(id=...)` through the
    ORM's query compiler costs several times the query itself, and more than the JWT check.
    """
    User = get_user_model()
    alias = router.db_for_read(User)
    connection = connections[alias]
    query = _user_by_id_query(alias)
    try:
        user_id = query.id_field.to_python(user_id)
    except ValidationError:
        return None
    if user_id is None or not _in_range(user_id, query.id_range):
        return None
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, column, column_converters in query.converters:
        for converter in column_converters:
            values[position] = converter(values[position], column, connection)
    return User.from_db(alias, query.attnames, values)


@lru_cache(maxsize=4096)
def _verified_access_payload(raw_token: bytes) -> dict:
    """The claims of an access token that passed every check of simplejwt's AccessToken.

    Memoized per process by the exact token bytes: the same bytes verify the same way every
    time, except for expiry, which the caller checks again on each use. Failures are not
    memoized (an exception leaves the cache untouched), so junk cannot fill it.
    """
    return ProjectAccessToken(raw_token).payload


def verified_access_token(raw_token: bytes) -> ProjectAccessToken:
    """ProjectAccessToken(raw_token), without re-verifying the signature of a token
    this process has already verified (PyJWT's checks cost more than the rest of a request)."""
    payload = _verified_access_payload(bytes(raw_token))
    token = ProjectAccessToken.__new__(ProjectAccessToken)
    token.token = raw_token
    token.current_time = aware_utcnow()
    token.payload = dict(payload)
    token.check_exp()
    return token


def forget_verified_tokens(**_kwargs) -> None:
    """Called when SIMPLE_JWT settings or the fallback keys change (tests): a new key or
    audience starts afresh."""
    _verified_access_payload.cache_clear()
    project_token_backend.cache_clear()


class ProjectJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication with a cheaper user lookup, which also keeps the token's
    scopes on the request.

    It refuses every token JWTAuthentication refuses (same token checks, same user checks,
    same errors), and a signed token whose user id is not a number gets a 401 where
    simplejwt 5.5.1 raises ValueError (a 500). HasScopes reads `request.auth` and works with
    either class.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            remember_token(request, result[1])
        return result

    def get_validated_token(self, raw_token):
        if tuple(api_settings.AUTH_TOKEN_CLASSES) != (ProjectAccessToken,):
            return super().get_validated_token(raw_token)
        try:
            return verified_access_token(raw_token)
        except TokenError as exc:
            raise InvalidToken({
                "detail": "Given token not valid for any token type",
                "messages": [{"token_class": "AccessToken", "token_type": "access",
                              "message": exc.args[0]}],
            }) from exc

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        try:
            # Strictly typed: the ORM would turn True, 2.5 or a fullwidth "1" into a user id.
            user_id = user_id_from_claim(user_id)
            generation = token_generation_from_claims(validated_token)
        except InvalidClaim as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = user_by_id(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if generation != user.token_generation:
            raise AuthenticationFailed("The user's password has been changed.",
                                       code="password_changed")
        if api_settings.CHECK_REVOKE_TOKEN:
            # Not used by this project; delegate so the behaviour stays simplejwt's.
            return super().get_user(validated_token)
        return user


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


def user_from_bearer(request):
    """The authenticated user, None when no bearer token was sent; raises InvalidCredentials.

    On success the token is kept on the request (`request.jwt_token`, `request.jwt_scopes`).
    """
    try:
        result = ProjectJWTAuthentication().authenticate(request)
    except (InvalidToken, AuthenticationFailed) as exc:
        raise InvalidCredentials(_message(exc)) from exc
    if result is None:
        return None
    return result[0]
