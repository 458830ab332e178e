"""A password change ends every session: the User model's part (docs/contract.md §2.4).

Every way a password changes calls `set_password` (or `set_unusable_password`) and then
`save()`: the admin's password form, `manage.py changepassword`, `POST /password`, Django's
password reset, a shell. So the model is the one place that sees them all:

- the user's `token_generation` goes up by one in the same UPDATE as the new hash. Every
  token carries the generation it was minted under (claim `gen`, accounts.jwt_claims) and
  the per-request user check compares the two, so access tokens minted before the change
  fail at once, at no extra query;
- every outstanding refresh token of the user is blacklisted (the records in the admin's
  "Token Blacklist" then say what is true); rotation also compares the generation, so a
  refresh token minted concurrently with the change is refused too.

A hash upgrade at login (new hasher parameters) also goes through `set_password`, and so
also signs the user out elsewhere, once; Django's own session auth hash behaves the same.
"""

from django.db import models
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken


def user_refresh_tokens_revoke(*, user) -> int:
    """Blacklist every unexpired, not yet blacklisted refresh token of `user`; how many."""
    live = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in live.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return len(revoked)


class RevokesTokensOnPasswordChange(models.Model):
    token_generation = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Goes up at every password change; tokens minted under an older value are "
        "refused.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        revoke = getattr(self, "_revoke_tokens_at_save", False) and not self._state.adding
        generation_before = self.token_generation
        if revoke:
            # In the database, so two concurrent changes make two generations.
            self.token_generation = F("token_generation") + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                # e.g. the hash upgrade at login saves update_fields=["password"]
                kwargs["update_fields"] = {*update_fields, "token_generation"}
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self.token_generation = generation_before
            raise
        self._revoke_tokens_at_save = False
        if revoke:
            self.refresh_from_db(fields=["token_generation"])
            user_refresh_tokens_revoke(user=self)

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._revoke_tokens_at_save = True

    def set_unusable_password(self):
        super().set_unusable_password()
        self._revoke_tokens_at_save = True
