"""Input and output shapes of the auth endpoints (validation only; no logic here)."""

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from accounts.selectors import roles_for_user, scopes_for_user
from api.timestamps import iso_utc_ms

# Long enough for any passphrase; short enough that hashing it cannot be used to burn CPU.
PASSWORD_MAX_LENGTH = 4096


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs):
        # DRF refuses "" unless allow_blank; min_length says so in /openapi.json (minLength).
        if not kwargs.get("allow_blank", False):
            kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CredentialsInput(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class RegisterInput(CredentialsInput):
    # Django's username rule, stated here so /openapi.json says it (`pattern`); the service
    # applies the same validator (accounts.services.user_register).
    username = StrictCharField(
        max_length=150, trim_whitespace=False, validators=[UnicodeUsernameValidator()]
    )
    email = StrictCharField(required=False, allow_blank=True, max_length=254)


class TokenInput(serializers.Serializer):
    token = StrictCharField(max_length=8192)


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=8192)


class UserOutput(serializers.Serializer):
    """The user as the book's clients see it; never any password field."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    createdAt = serializers.SerializerMethodField()
    lastSignedInAt = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()

    def get_createdAt(self, user) -> str | None:
        return iso_utc_ms(user.date_joined)

    def get_lastSignedInAt(self, user) -> str | None:
        return iso_utc_ms(user.last_login)

    def get_roles(self, user) -> list[str]:
        return roles_for_user(user)

    def get_scopes(self, user) -> list[str]:
        return sorted(scopes_for_user(user))


class TokenPairOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Access JWT, for `Authorization: Bearer <token>`.")
    refresh = serializers.CharField(help_text="Refresh JWT, for /token/refresh and /logout.")


class LoginOutput(TokenPairOutput):
    user = UserOutput()


class StatusOutput(serializers.Serializer):
    status = serializers.CharField()


class PrivateOutput(serializers.Serializer):
    message = serializers.CharField()
