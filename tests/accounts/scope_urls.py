"""Views that exist only for the permission tests: one per way of requiring a scope."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ProjectJWTAuthentication
from accounts.permissions import HasScopes


class ScopeFromViewAttribute(APIView):
    permission_classes = [HasScopes]
    required_scopes = ["items:write"]

    def get(self, request):
        return Response({"ok": True})


class ScopeFromFactory(APIView):
    permission_classes = [HasScopes.of("items:read", "browser:use")]

    def get(self, request):
        return Response({"ok": True})


class ScopeWithProjectAuthentication(ScopeFromViewAttribute):
    authentication_classes = [ProjectJWTAuthentication]


urlpatterns = [
    path("attribute", ScopeFromViewAttribute.as_view()),
    path("factory", ScopeFromFactory.as_view()),
    path("project-auth", ScopeWithProjectAuthentication.as_view()),
]
