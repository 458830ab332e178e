"""Changing one's own password (`POST /password`, docs/contract.md §2.4).

The old password is checked like a login: the same throttle, and a wrong one counts as a
failed login for the username and the address, so a stolen access token cannot be used to
guess the password. The new one must pass the password policy. Saving it signs the user out
everywhere (accounts.token_revocation); the answer carries a fresh token pair.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import NewPasswordRefused, WrongCurrentPassword
from accounts.throttles.login import (
    login_attempt_begin,
    login_attempt_passed,
    login_failures_clear,
)
from accounts.tokens import token_pair_for_user


def user_password_change(
    *, user, old_password: str, new_password: str, client_address: str | None
) -> dict[str, str]:
    """Set `user`'s password to `new_password` and return a new token pair.

    Raises LoginThrottled (too many recent failures), WrongCurrentPassword, or
    NewPasswordRefused (the policy refuses the new one).
    """
    username = user.get_username()
    attempt = login_attempt_begin(username=username, client_address=client_address)
    if not user.check_password(old_password):
        raise WrongCurrentPassword()
    # The failures are cleared once the new password is saved, as at a login.
    login_attempt_passed(attempt)
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise NewPasswordRefused(" ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save()  # raises the token generation and revokes the refresh tokens
        pair = token_pair_for_user(user)
    login_failures_clear(user=user)
    return pair
