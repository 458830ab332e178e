"""Accounts' writes: registering a user and logging in (with the book's sign-up on first login),
and the admin's login through the same throttle."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from accounts.errors import AccountInputRefused, InvalidLogin
from accounts.models import USERNAME_TAKEN_MESSAGE, username_key
from accounts.throttles.login import (
    LoginAttempt,
    login_attempt_begin,
    login_attempt_passed,
    registration_attempt_count,
)
from accounts.tokens import token_pair_for_user


@dataclass(frozen=True)
class SignedIn:
    """A user who just logged in or registered, and the token pair minted for them
    (accounts.tokens.token_pair_for_user: `token` and `refresh`)."""

    user: object
    tokens: dict[str, str]


def _validation_fields(exc: ValidationError, field: str) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {
            key: " ".join(message for error in errors for message in error.messages)
            for key, errors in exc.error_dict.items()
        }
    return {field: " ".join(exc.messages)}


def _username_taken_error() -> AccountInputRefused:
    return AccountInputRefused({"username": USERNAME_TAKEN_MESSAGE})


def user_register(
    *, username: str, password: str, email: str = "", client_address: str | None = None
) -> SignedIn:
    """Create an active user with the default roles, signed in; see `_user_create`."""
    user = _user_create(
        username=username, password=password, email=email, client_address=client_address
    )
    return SignedIn(user=user, tokens=token_pair_for_user(user))


def _user_create(
    *, username: str, password: str, email: str = "", client_address: str | None = None
):
    """Create an active user with the default roles; the password policy applies.

    Raises AccountInputRefused for a taken or invalid username or a weak password,
    and RegistrationThrottled once the client's address has used up its registrations.
    A name is taken when any account has the same username key (`DaVe` for `dave`). A taken
    name costs the same password hashing as a free one, so the answer's time does not tell
    which it was; the per-address limit bounds how many names one client can try.
    """
    User = get_user_model()
    username = User.normalize_username(username)
    email = User.objects.normalize_email(email or "")
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
    if errors:
        # Says nothing about whether the name exists, so it is neither counted nor hashed.
        raise AccountInputRefused(errors)
    registration_attempt_count(client_address=client_address)
    if User.objects.filter(username_key=username_key(username)).exists():
        # The same hashing work a free name costs in create_user.
        make_password(password)
        raise _username_taken_error()
    try:
        # create_user hashes the password, then grants the default roles in a transaction of
        # its own (rolled back on IntegrityError); one opened here would hold the hashing.
        user = User.objects.create_user(username, email=email, password=password)
    except IntegrityError as exc:
        # Another request registered the same name (or a case variant) between the check and
        # the insert; the unique username key refused the second.
        raise _username_taken_error() from exc
    return user


def _sign_up_on_first_login(*, username: str, password: str, client_address: str | None):
    """The book's behaviour: an unknown username is registered with the password it sent.
    None when the username (or a case variant of it) exists: then it is an ordinary login.
    Throttled per address like /register."""
    User = get_user_model()
    key = username_key(User.normalize_username(username))
    if User.objects.filter(username_key=key).exists():
        return None
    try:
        return _user_create(username=username, password=password, client_address=client_address)
    except AccountInputRefused as exc:
        if set(exc.problems) == {"username"} and User.objects.filter(username_key=key).exists():
            return None  # lost a race with a concurrent sign-up: log in instead
        raise


def _credentials_check(*, attempt: LoginAttempt, username: str, password: str, request=None):
    """The password check /login and the admin's login share, with the same counters: the
    attempt stays counted as a failure unless the password is right."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidLogin()
    login_attempt_passed(attempt, user=user)
    return user


def user_authenticate(*, username: str, password: str, client_address: str | None, request=None):
    """The user these credentials belong to, through the login throttle (any case of the
    username matches). Raises LoginThrottled or InvalidLogin. Never signs anyone up: this is
    the admin's login."""
    attempt = login_attempt_begin(username=username, client_address=client_address)
    return _credentials_check(
        attempt=attempt, username=username, password=password, request=request
    )


def user_login(
    *, username: str, password: str, client_address: str | None, request=None
) -> SignedIn:
    """Check the credentials (or sign up, where the stage allows); the user and a new token
    pair.

    Unknown usernames and wrong passwords fail alike, in about the same time: Django's
    ModelBackend hashes the given password even when no user matches. Raises LoginThrottled
    once the username or the address has too many recent failures (RegistrationThrottled
    when a sign-up would exceed the address's registrations).
    """
    attempt = login_attempt_begin(username=username, client_address=client_address)

    if settings.SIGN_UP_ON_FIRST_LOGIN:
        try:
            user = _sign_up_on_first_login(
                username=username, password=password, client_address=client_address
            )
        except Exception:
            login_attempt_passed(attempt)  # a refused sign-up is no wrong password
            raise
        if user is not None:
            login_attempt_passed(attempt)
            return _signed_in(user)

    user = _credentials_check(
        attempt=attempt, username=username, password=password, request=request
    )
    return _signed_in(user)


def _signed_in(user) -> SignedIn:
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return SignedIn(user=user, tokens=token_pair_for_user(user))
