"""Issuing JWTs for a user: the one place other apps and tests get tokens from."""

from rest_framework_simplejwt.tokens import RefreshToken


def token_pair_for_user(user) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"token": str(refresh.access_token), "refresh": str(refresh)}
