"""The four scopes the apps use, and the default role `member` that grants them all."""

from django.db import migrations

SCOPES = {
    "items:read": "Read your items (REST and GraphQL)",
    "items:write": "Create, update and delete your items",
    "pipelines:run": "Start and watch sumArray pipeline runs",
    "browser:use": "Scrape, screenshot and render pages with the headless browser",
}


def create_member_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Scope = apps.get_model("accounts", "Scope")
    member, _ = Group.objects.get_or_create(name="member")
    for name, description in SCOPES.items():
        scope, _ = Scope.objects.get_or_create(name=name, defaults={"description": description})
        scope.roles.add(member)


def remove_member_role(apps, schema_editor):
    Scope = apps.get_model("accounts", "Scope")
    Scope.objects.filter(name__in=SCOPES).delete()
    apps.get_model("auth", "Group").objects.filter(name="member").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_roles_scopes_login_failures"),
    ]

    operations = [
        migrations.RunPython(create_member_role, remove_member_role),
    ]
