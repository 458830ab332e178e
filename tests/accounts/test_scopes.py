"""Roles and scopes: what tokens carry, the DRF permission, the GraphQL decorator."""

import graphene
import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory

from accounts.authentication import user_from_bearer
from accounts.graphql_permissions import scope_required
from accounts.models import Role, Scope
from accounts.registry import known_scopes
from accounts.selectors import scopes_for_user
from accounts.tokens import token_pair_for_user

ALL = {"items:read", "items:write", "pipelines:run", "browser:use"}


def test_the_member_role_from_the_migration_grants_the_four_scopes(db):
    member = Group.objects.get(name="member")

    assert set(member.scopes.values_list("name", flat=True)) == ALL == set(known_scopes())


def test_new_users_get_the_member_role(make_user):
    assert scopes_for_user(make_user("bea")) == ALL


def test_a_user_without_roles_has_no_scopes_and_a_superuser_has_all(make_user, django_user_model):
    loner = make_user("loner")
    loner.groups.clear()
    admin = django_user_model.objects.create_superuser("root", password="x-long-password-1")

    assert scopes_for_user(loner) == frozenset()
    assert scopes_for_user(admin) >= ALL


def test_scopes_come_from_every_role_and_are_managed_by_scope_rows(make_user):
    reader = Group.objects.create(name="reader")
    Scope.objects.get(name="items:read").roles.add(reader)
    custom = Scope.objects.create(name="reports:view")
    custom.roles.add(reader)
    bea = make_user("bea")
    bea.groups.set([reader])

    assert scopes_for_user(bea) == {"items:read", "reports:view"}


def test_ensuring_a_role_recreates_the_default_role_after_a_flush_but_respects_edits(db):
    Group.objects.all().delete()
    Scope.objects.all().delete()

    member = Role.objects.ensure(name="member")
    assert set(member.scopes.values_list("name", flat=True)) == ALL
    Scope.objects.get(name="browser:use").roles.remove(member)

    assert "browser:use" not in set(
        Role.objects.ensure(name="member").scopes.values_list("name", flat=True)
    )


# --- DRF: HasScopes ----------------------------------------------------------------------

pytestmark = pytest.mark.urls("tests.accounts.scope_urls")


def _get(client, path, user=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_for_user(user)['token']}"} if user else {}
    return client.get(path, **headers)


@pytest.mark.parametrize("path", ["/attribute", "/factory", "/project-auth"])
def test_has_scopes_lets_a_member_in(client, make_user, path):
    assert _get(client, path, make_user("bea")).status_code == 200


@pytest.mark.parametrize("path", ["/attribute", "/factory", "/project-auth"])
def test_has_scopes_is_401_without_a_token(client, db, path):
    response = _get(client, path)

    assert response.status_code == 401
    assert response.json()["status"] == "error"


@pytest.mark.parametrize(
    ("path", "missing"),
    [("/attribute", "items:write"), ("/factory", "browser:use"), ("/project-auth", "items:write")],
)
def test_has_scopes_is_403_json_when_the_token_lacks_the_scope(client, make_user, path, missing):
    reader = Group.objects.create(name="reader")
    Scope.objects.get(name="items:read").roles.add(reader)
    bea = make_user("bea")
    bea.groups.set([reader])

    response = _get(client, path, bea)

    assert response.status_code == 403
    assert response.json() == {"status": "error", "error": f"Missing scope: {missing}"}


def test_the_token_decides_not_the_database_until_refresh(client, make_user):
    """Scopes are claims: removing a role takes effect at the next token (15 min at most);
    deactivating the user takes effect at once."""
    bea = make_user("bea")
    token = token_pair_for_user(bea)["token"]
    bea.groups.clear()

    assert client.get("/attribute", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert _get(client, "/attribute", bea).status_code == 403


# --- GraphQL: @scope_required ------------------------------------------------------------


class Query(graphene.ObjectType):
    secret = graphene.String()

    @staticmethod
    @scope_required("items:read")
    def resolve_secret(root, info):
        return f"for {info.context.user.username}"


class Touch(graphene.Mutation):
    done = graphene.Boolean()

    @classmethod
    @scope_required("items:write")
    def mutate(cls, root, info):
        return Touch(done=True)


class Mutation(graphene.ObjectType):
    touch = Touch.Field()


schema = graphene.Schema(query=Query, mutation=Mutation)


def _context(user=None, token=None):
    """The request as the GraphQL view sees it: authenticated through user_from_bearer."""
    from django.contrib.auth.models import AnonymousUser

    if user is not None:
        token = token_pair_for_user(user)["token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    request = RequestFactory().post("/graphql", **headers)
    request.user = user_from_bearer(request) or AnonymousUser()
    return request


def test_graphql_scope_required_allows_a_member(make_user):
    result = schema.execute("{ secret }", context_value=_context(make_user("bea")))

    assert result.errors is None
    assert result.data == {"secret": "for bea"}


def test_graphql_scope_required_refuses_anonymous(db):
    result = schema.execute("{ secret }", context_value=_context())

    assert result.data == {"secret": None}
    assert result.errors[0].message == (
        "Authentication required: send Authorization: Bearer <token>"
    )
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


def test_graphql_scope_required_refuses_a_token_without_the_scope(make_user):
    bea = make_user("bea")
    reader = Group.objects.create(name="reader")
    Scope.objects.get(name="items:read").roles.add(reader)
    bea.groups.set([reader])
    context = _context(bea)

    query = schema.execute("{ secret }", context_value=context)
    mutation = schema.execute("mutation { touch { done } }", context_value=context)

    assert query.errors is None
    assert mutation.errors[0].message == "Missing scope: items:write"
    assert mutation.errors[0].extensions == {"code": "FORBIDDEN"}
    assert mutation.data == {"touch": None}


def test_graphql_uses_the_tokens_scopes_not_the_database(make_user):
    bea = make_user("bea")
    context = _context(bea)
    bea.groups.clear()

    assert schema.execute("mutation { touch { done } }", context_value=context).data == {
        "touch": {"done": True}
    }


def test_graphql_session_user_without_token_gets_the_roles_scopes(make_user):
    """E.g. an admin's session in GraphiQL: no token, scopes from the roles now."""
    request = RequestFactory().post("/graphql")
    request.user = make_user("bea")

    assert schema.execute("{ secret }", context_value=request).data == {"secret": "for bea"}


def test_each_app_declares_its_own_scopes_and_accounts_finds_them_all():
    from browser.access_rules import BROWSER_USE
    from items.access_rules import ITEMS_READ, ITEMS_WRITE
    from pipelines.access_rules import PIPELINES_RUN

    assert set(known_scopes()) == {ITEMS_READ, ITEMS_WRITE, PIPELINES_RUN, BROWSER_USE} == ALL
