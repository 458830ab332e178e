"""Users, roles (Django groups), the scopes roles grant, and failed logins (throttle memory)."""

from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models

from accounts.token_revocation import RevokesTokensOnPasswordChange


class ProjectUserManager(UserManager):
    """`create_user` also gives the default roles, so a user made anywhere (a service, a
    fixture, the shell) can use the API like one who registered; superusers need no role."""

    def create_user(self, username, email=None, password=None, **extra_fields):
        from accounts.roles import user_grant_default_roles

        user = super().create_user(username, email=email, password=password, **extra_fields)
        user_grant_default_roles(user=user)
        return user


class User(RevokesTokensOnPasswordChange, AbstractUser):
    """The project's user from the first migration on, so fields can be added without pain."""

    objects = ProjectUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Role(Group):
    """A Django group, shown in the admin as what it is for here: a role that grants scopes."""

    class Meta:
        proxy = True
        verbose_name = "role"
        verbose_name_plural = "roles"


class Scope(models.Model):
    """A capability an access token can carry (`items:write`), granted through roles.

    Not a Django permission: scopes name API capabilities, not model CRUD, and travel as
    strings in tokens read by other services.
    """

    name = models.CharField(
        max_length=64,
        unique=True,
        help_text="As it appears in the token's `scope` claim, e.g. items:write.",
    )
    description = models.CharField(max_length=255, blank=True)
    roles = models.ManyToManyField(
        Group,
        related_name="scopes",
        blank=True,
        help_text="Every member of these roles gets this scope in new access tokens.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LoginFailure(models.Model):
    """One failed login. Counted per username and per client address over a sliding window;
    kept in the database because a Lambda fleet shares nothing else."""

    username_key = models.CharField(max_length=150, db_index=False)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    failed_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["username_key", "failed_at"], name="loginfailure_user_time"),
            models.Index(fields=["client_address", "failed_at"], name="loginfailure_addr_time"),
        ]
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.username_key} from {self.client_address} at {self.failed_at:%Y-%m-%d %H:%M}"


class RateLimitWindow(models.Model):
    """How many times one user did one rate-limited thing (e.g. `item-writes:42`) in one
    fixed window. In the database because a Lambda fleet shares nothing else; written by
    one upsert per request (accounts.rate_limits), old windows pruned as new ones open."""

    key = models.CharField(max_length=150)
    window_end = models.BigIntegerField(help_text="Unix time at which this window closes.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_end"], name="ratelimitwindow_key_end"),
        ]
        indexes = [models.Index(fields=["window_end"], name="ratelimitwindow_end")]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} until {self.window_end}"
