"""Usernames unique regardless of case (docs/contract.md §2.4), and the registration throttle's table.

Fills `User.username_key` for existing users. If two existing accounts have the same key
(`Dave` and `dave`), the migration stops with the list of clashing usernames and changes
nothing (PostgreSQL runs it in one transaction): which account keeps the name is a person's
decision. Rename or merge the variants (admin, or `manage.py shell`), then migrate again.
"""

import unicodedata
from collections import defaultdict

from django.db import migrations, models

USERNAME_KEY_MAX_LENGTH = 450


def _username_key(username: str) -> str:
    # Frozen copy of accounts.models.username_key as of this migration.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class UsernameClash(Exception):
    pass


def clash_report(usernames_by_key: dict[str, list[str]]) -> str:
    groups = sorted(sorted(names) for names in usernames_by_key.values() if len(names) > 1)
    lines = [" ".join(repr(name) for name in names) for names in groups]
    return (f"{len(groups)} group(s) of usernames differ only by case or Unicode form and "
            f"cannot all keep their names:\n  " + "\n  ".join(lines) +
            "\nRename or merge them (admin or manage.py shell), then run migrate again.")


def fill_username_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "username"))
    usernames_by_key: dict[str, list[str]] = defaultdict(list)
    for user in users:
        user.username_key = _username_key(user.username)
        usernames_by_key[user.username_key].append(user.username)
    if any(len(names) > 1 for names in usernames_by_key.values()):
        raise UsernameClash(clash_report(usernames_by_key))
    User.objects.bulk_update(users, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_member_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=USERNAME_KEY_MAX_LENGTH,
                                   null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(
                editable=False,
                help_text="The username case-folded (accounts.models.username_key): unique, so "
                          "`Dave` and `dave` cannot both exist.",
                max_length=USERNAME_KEY_MAX_LENGTH,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="loginfailure",
            name="username_key",
            field=models.CharField(max_length=USERNAME_KEY_MAX_LENGTH),
        ),
        migrations.CreateModel(
            name="RegistrationAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("client_address", models.GenericIPAddressField()),
                ("attempted_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "ordering": ["-attempted_at"],
                "indexes": [models.Index(fields=["client_address", "attempted_at"],
                                         name="registration_addr_time")],
            },
        ),
    ]
