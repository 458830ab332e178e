from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user from the first migration on, so fields can be added without pain."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
