"""Users, roles (Django groups), the scopes roles grant, and failed logins and registrations
(throttle memory)."""

import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group, GroupManager, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.registry import default_role_scopes, scope_description
from accounts.token_revocation import RevokesTokensOnPasswordChange

# A username is at most 150 characters after NFKC (the username field); case folding turns
# one character into at most three ("ΐ" → "ΐ").
USERNAME_KEY_MAX_LENGTH = 450
USERNAME_TAKEN_MESSAGE = "A user with that username already exists."


def username_key(username: str) -> str:
    """The form two usernames are compared in: `Dave`, `DAVE`, dave in fullwidth letters and
    `dave` are one name, `Straße` and `STRASSE` too.

    NFKC, then Python's full case folding, then NFKC again (folding can leave a string
    unnormalised). Computed here, not with the database's lower(): PostgreSQL's differs
    from casefold() (ß) and SQLite's is ASCII-only.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class ProjectUserManager(UserManager):
    """`create_user` is the one place users get the stage's default roles
    (settings.ACCOUNTS_DEFAULT_ROLES): registration, sign-up on first login, a fixture or the
    shell all go through it, so every such user can use the API alike. Superusers need no
    role."""

    def create_user(self, username, email=None, password=None, **extra_fields):
        # Hashed before the transaction opens: Argon2 is CPU-bound (about a second under
        # load), and on SQLite a write transaction holds the database's one write lock, so 30
        # concurrent sign-ups queued behind each other's hashing until "database is locked".
        hashed = make_password(password)
        with transaction.atomic():
            user = super().create_user(username, email=email, password=None, **extra_fields)
            # An UPDATE, not save(): a new user has no tokens, so the new hash must not count
            # as a password change (accounts.token_revocation).
            type(user)._base_manager.filter(pk=user.pk).update(password=hashed)
            user.password = hashed
            roles = [Role.objects.ensure(name=name) for name in settings.ACCOUNTS_DEFAULT_ROLES]
            if roles:
                user.groups.add(*roles)
        return user

    def get_by_natural_key(self, username):
        """Any case variant finds the account: ModelBackend (so /login and the admin's
        login), createsuperuser's "already taken" check and natural-key fixtures use this."""
        return self.get(username_key=username_key(username))


class User(RevokesTokensOnPasswordChange, AbstractUser):
    """The project's user from the first migration on, so fields can be added without pain."""

    username_key = models.CharField(
        max_length=USERNAME_KEY_MAX_LENGTH,
        unique=True,
        editable=False,
        help_text="The username case-folded (accounts.models.username_key): unique, so "
        "`Dave` and `dave` cannot both exist.",
    )

    objects = ProjectUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def clean_fields(self, exclude=None):
        # Derived from the username in clean() and save(); never typed, so never checked.
        super().clean_fields(exclude={*(exclude or ()), "username_key"})

    def clean(self):
        super().clean()  # NFKC-normalises the username
        if isinstance(self.username, str):  # None when a form already refused the field
            self.username_key = username_key(self.username)

    def validate_unique(self, exclude=None):
        """A case variant of a taken name is refused on the username field (forms, the admin,
        full_clean), with the same message as the exact name."""
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"username_key"})
        if "username" in exclude or not isinstance(self.username, str):
            return
        clash = type(self)._default_manager.filter(username_key=username_key(self.username))
        if self.pk is not None:
            clash = clash.exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError({"username": USERNAME_TAKEN_MESSAGE}, code="unique")

    def save(self, *args, **kwargs):
        # Every write path (create_user, the admin, a bare save()) keeps the key in step; the
        # database's unique constraint is the last word when two writers race.
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)


class RoleManager(GroupManager):
    # Nothing in a migration needs `ensure` (0003 writes its rows itself).
    use_in_migrations = False

    def ensure(self, *, name: str) -> "Role":
        """The role, created with its default scopes (accounts.registry) if missing.

        An existing role is left as the admin configured it: granting its defaults again
        would undo an administrator's decision.
        """
        with transaction.atomic():
            role, created = self.get_or_create(name=name)
            if created:
                for scope_name in default_role_scopes(name):
                    scope, _ = Scope.objects.get_or_create(
                        name=scope_name,
                        defaults={"description": scope_description(scope_name)},
                    )
                    scope.roles.add(role)
        return role


class Role(Group):
    """A Django group, shown in the admin as what it is for here: a role that grants scopes."""

    objects = RoleManager()

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

    username_key = models.CharField(max_length=USERNAME_KEY_MAX_LENGTH, db_index=False)
    # The client's address group (accounts.client_address.address_group): an IPv4 address,
    # or the first address of an IPv6 client's /64.
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


class RegistrationAttempt(models.Model):
    """One registration that got as far as the username check (an account created, or a
    taken name refused), from /register or sign-up on first login. Counted per client
    address group over a sliding window, in the database like LoginFailure."""

    client_address = models.GenericIPAddressField()
    attempted_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["client_address", "attempted_at"], name="registration_addr_time"),
        ]
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"{self.client_address} at {self.attempted_at:%Y-%m-%d %H:%M}"


class RateLimitWindow(models.Model):
    """How many times one user did one rate-limited thing (e.g. `item-writes:42`) in one
    fixed window. In the database because a Lambda fleet shares nothing else; written by
    one upsert per request (accounts.throttles.budgets), old windows pruned as new ones open."""

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
