"""Usernames are unique regardless of case (docs/contract.md §2.4): the stored key, logins in any case,
registration, sign-up on first login, create_user, createsuperuser, the admin, migration 0004."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from accounts.models import LoginFailure, username_key
from tests.helpers.accounts import GOOD_PASSWORD

User = get_user_model()

FULLWIDTH_DAVE = "\uff24\uff41\uff56\uff45"  # "Dave" in fullwidth letters


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("dave", "DaVe"),
        ("dave", FULLWIDTH_DAVE),
        ("stra\u00dfe", "STRASSE"),  # ß folds to ss
        ("\u01c6ave", "\u01c5ave"),  # ǆ and its titlecase ǅ
        ("\u01c6ave", "D\u017eave"),  # ǆ (one letter) and "Dž" (two)
        ("\u212aelvin", "kelvin"),  # KELVIN SIGN
        ("\ufb00oo", "FFOO"),  # the ligature ﬀ
        ("\u03c3ofia", "\u03c2ofia"),  # sigma and final sigma
    ],
)
def test_case_and_unicode_variants_share_one_key(one, other):
    assert username_key(one) == username_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("dave", "dav"),
        ("\u0131", "i"),  # Turkish dotless i is its own letter
        ("dave", "d.ave"),
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert username_key(one) != username_key(other)


def test_the_key_is_stored_and_follows_a_rename(make_user):
    user = make_user("DaVe")
    assert User.objects.get(pk=user.pk).username_key == "dave"

    user.username = "David"
    user.save(update_fields=["username"])

    assert User.objects.get(pk=user.pk).username_key == "david"


@pytest.mark.parametrize("typed", ["dave", "DaVe", "DAVE", FULLWIDTH_DAVE])
def test_login_accepts_any_case_of_the_username(post_json, make_user, settings, typed):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    make_user("dave")

    response = post_json("/login", {"username": typed, "password": GOOD_PASSWORD})

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "dave"


def test_sign_up_on_first_login_logs_a_case_variant_into_the_existing_account(
    post_json, make_user, settings
):
    settings.SIGN_UP_ON_FIRST_LOGIN = True
    dave = make_user("dave")

    wrong = post_json("/login", {"username": "DAVE", "password": "another-passphrase-8"})
    right = post_json("/login", {"username": "DAVE", "password": GOOD_PASSWORD})

    assert wrong.status_code == 401
    assert right.status_code == 200 and right.json()["user"]["id"] == dave.pk
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("existing", "variant"),
    [("dave", "DaVe"), ("stra\u00dfe", "STRASSE"), ("dave", FULLWIDTH_DAVE)],
)
def test_register_refuses_a_case_variant_of_a_taken_name(post_json, make_user, existing, variant):
    make_user(existing)

    response = post_json("/register", {"username": variant, "password": "another-passphrase-8"})

    assert response.status_code == 400
    assert response.json()["fields"]["username"] == "A user with that username already exists."
    assert User.objects.count() == 1


def test_create_user_cannot_make_a_case_variant(make_user):
    make_user("dave")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("DAVE", password=GOOD_PASSWORD)


def test_createsuperuser_refuses_a_case_variant(make_user, monkeypatch):
    make_user("dave")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-password-123")

    with pytest.raises(CommandError, match="already taken"):
        call_command(
            "createsuperuser", "--noinput", "--username", "DaVe", "--email", "root@example.org"
        )

    assert User.objects.count() == 1


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-password-123")
    client.force_login(root)
    return client


@pytest.mark.parametrize("variant", ["DAVE", "stra\u00dfe"])
def test_the_admin_refuses_to_add_a_case_variant(admin_client, make_user, variant):
    make_user("dave")
    make_user("STRASSE")

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": variant,
            "usable_password": "true",
            "password1": "another-passphrase-8",
            "password2": "another-passphrase-8",
        },
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(is_superuser=False).count() == 2


def test_the_admin_refuses_to_rename_a_user_to_a_case_variant(admin_client, make_user):
    make_user("dave")
    eve = make_user("eve")

    response = admin_client.post(
        f"/admin/accounts/user/{eve.pk}/change/",
        {
            "username": "DAVE",
            "email": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.get(pk=eve.pk).username == "eve"


def test_a_success_clears_only_the_failures_of_the_account_that_logged_in(
    post_json, make_user, settings
):
    settings.SIGN_UP_ON_FIRST_LOGIN = False
    make_user("dave")
    make_user("eve")
    for typed in ("DaVe", "eve", "EVE"):
        post_json("/login", {"username": typed, "password": "wrong-password-1"})

    assert post_json("/login", {"username": "DAVE", "password": GOOD_PASSWORD}).status_code == 200

    assert list(LoginFailure.objects.values_list("username_key", flat=True)) == ["eve", "eve"]


# --- migration 0004 ----------------------------------------------------------------------


@pytest.fixture
def accounts_at_0003(transactional_db):
    """The database with accounts migrated back to 0003 (before the key); put forward again
    afterwards."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    old_apps = migrate(("accounts", "0003_member_role"))
    yield old_apps, migrate
    # Back to the latest schema (every later migration of every app), not only 0004.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_users(old_apps, *names):
    OldUser = old_apps.get_model("accounts", "User")
    for name in names:
        OldUser.objects.create(username=name, password="!")
    return OldUser


def test_migration_0004_fills_the_key_of_existing_users(accounts_at_0003):
    old_apps, migrate = accounts_at_0003
    _old_users(old_apps, "Ann", "stra\u00dfe", "bob")

    migrate(("accounts", "0004_username_key_registration_attempts"))

    assert dict(User.objects.values_list("username", "username_key")) == {
        "Ann": "ann",
        "stra\u00dfe": "strasse",
        "bob": "bob",
    }


def test_migration_0004_stops_with_the_list_of_clashing_usernames(accounts_at_0003):
    old_apps, migrate = accounts_at_0003
    importlib = __import__("importlib")
    migration = importlib.import_module(
        "accounts.migrations.0004_username_key_registration_attempts"
    )
    OldUser = _old_users(old_apps, "Dave", "dave", "DAVE", "Strasse", "stra\u00dfe", "bob")

    with pytest.raises(migration.UsernameClash) as raised:
        migrate(("accounts", "0004_username_key_registration_attempts"))

    message = str(raised.value)
    assert "2 group(s)" in message
    assert "'DAVE' 'Dave' 'dave'" in message
    assert "'Strasse' 'stra\u00dfe'" in message
    assert "bob" not in message
    # Nothing was changed: every account is still there, and the fix is to rename and retry.
    assert OldUser.objects.count() == 6
    OldUser.objects.filter(username__in=["DAVE", "dave", "Strasse"]).delete()
    migrate(("accounts", "0004_username_key_registration_attempts"))
    assert sorted(User.objects.values_list("username_key", flat=True)) == ["bob", "dave", "strasse"]
