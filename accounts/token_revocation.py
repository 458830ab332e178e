"""A password change ends every session: the User model's part (docs/contract.md §2.4;
docs/auth.md, "Changing a password signs out everywhere").

Every way a password changes (the admin's form, `manage.py changepassword`, `POST /password`,
Django's password reset, a shell) ends in `save()` with a new hash, so the model is the one
place that sees them all. The database says whether the hash changed: the user's
`token_generation` goes up (tokens carry the generation they were minted under and are refused
once it moves) and every outstanding refresh token of the user is blacklisted.
"""

from django.db import models, router, transaction
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
        update_fields = kwargs.get("update_fields")
        if self._state.adding or (update_fields is not None and "password" not in update_fields):
            super().save(*args, **kwargs)  # a new user has no tokens; no password written
            return
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self))):
            changed = self._generation_raise_if_password_changes()
            if changed:
                self.refresh_from_db(fields=["token_generation"])
            super().save(*args, **kwargs)
        if changed:
            user_refresh_tokens_revoke(user=self)

    def _generation_raise_if_password_changes(self) -> bool:
        """Raise the stored generation when the hash about to be saved is not the stored one;
        whether it did. The row stays locked until the save commits, so two concurrent
        changes make two generations and an unchanged save raises nothing."""
        raised = (
            type(self)
            ._base_manager.filter(pk=self.pk)
            .exclude(password=self.password)
            .update(token_generation=F("token_generation") + 1)
        )
        return raised > 0
