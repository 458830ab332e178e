"""Accounts' writes: registering a user and logging in (with the book's sign-up on first login)."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.login_throttle import (
    login_failure_record,
    login_failures_clear,
    login_throttle_check,
)
from accounts.roles import user_grant_default_roles
from api.errors import ApiError

INVALID_LOGIN_MESSAGE = "Invalid username or password"


class InvalidLogin(ApiError):
    status_code = 401

    def __init__(self):
        super().__init__(INVALID_LOGIN_MESSAGE)


@dataclass(frozen=True)
class LoginResult:
    user: object
    signed_up: bool


def _validation_fields(exc: ValidationError, field: str) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {key: " ".join(message for error in errors for message in error.messages)
                for key, errors in exc.error_dict.items()}
    return {field: " ".join(exc.messages)}


def user_register(*, username: str, password: str, email: str = ""):
    """Create an active user with the default roles; the password policy applies.

    Raises ApiError (400, with `fields`) for a taken or invalid username or a weak password.
    """
    User = get_user_model()
    username = User.normalize_username(username)
    email = get_user_model().objects.normalize_email(email or "")
    candidate = User(username=username, email=email)
    errors: dict[str, str] = {}
    try:
        candidate.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(_validation_fields(exc, "username"))
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    if not errors and User.objects.filter(username=username).exists():
        errors["username"] = "A user with that username already exists."
    if errors:
        raise ApiError("Invalid input: " + "; ".join(f"{key}: {value}"
                                                    for key, value in errors.items()),
                       fields=errors)
    try:
        with transaction.atomic():
            user = User(username=username, email=email)
            user.set_password(password)
            user.save()
            user_grant_default_roles(user=user)
    except IntegrityError as exc:
        # Another request registered the same name between the check and the insert.
        raise ApiError("Invalid input: username: A user with that username already exists.",
                       fields={"username": "A user with that username already exists."}) from exc
    return user


def _sign_up_on_first_login(*, username: str, password: str):
    """The book's behaviour: an unknown username is registered with the password it sent.
    None when the username exists (then it is an ordinary login)."""
    User = get_user_model()
    if User.objects.filter(username=User.normalize_username(username)).exists():
        return None
    try:
        return user_register(username=username, password=password)
    except ApiError as exc:
        if exc.fields and set(exc.fields) == {"username"} and User.objects.filter(
                username=User.normalize_username(username)).exists():
            return None  # lost a race with a concurrent sign-up: log in instead
        raise


def user_login(*, username: str, password: str, client_address: str | None,
               request=None) -> LoginResult:
    """Check the credentials (or sign up, where the stage allows) and return the user.

    Unknown usernames and wrong passwords fail alike, in about the same time: Django's
    ModelBackend hashes the given password even when no user matches. Raises LoginThrottled
    once the username or the address has too many recent failures.
    """
    login_throttle_check(username=username, client_address=client_address)

    if settings.SIGN_UP_ON_FIRST_LOGIN:
        user = _sign_up_on_first_login(username=username, password=password)
        if user is not None:
            return LoginResult(user=_mark_logged_in(user), signed_up=True)

    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, client_address=client_address)
        raise InvalidLogin()
    login_failures_clear(username=username)
    return LoginResult(user=_mark_logged_in(user), signed_up=False)


def _mark_logged_in(user):
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return user
