"""Backoffice for users, roles and the scopes they grant, failed logins and registrations;
and the admin's own login, throttled with /login's counters (docs/contract.md §2.4).

Outstanding and blacklisted refresh tokens are in the admin through simplejwt's
token_blacklist app (Token Blacklist section): blacklisting there revokes a refresh token.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from accounts.client_address import client_address
from accounts.errors import InvalidLogin
from accounts.models import LoginFailure, RegistrationAttempt, Role, Scope, User
from accounts.selectors import scopes_for_user
from accounts.services import user_authenticate
from accounts.throttles.login import LoginThrottled


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, checking the password through the same throttle and failure
    counters as /login: a username or address /login answers 429 for is refused here even
    with the right password, and every wrong password here counts there."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # Django's text says the username may be case-sensitive; here it is not.
        "invalid_login": "Please enter the correct %(username)s and password for a staff "
        "account. Note that the password is case-sensitive.",
        "throttled": "Too many failed login attempts. Try again in %(seconds)s seconds.",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = user_authenticate(
                    username=username,
                    password=password,
                    client_address=client_address(self.request),
                    request=self.request,
                )
            except LoginThrottled as exc:
                raise ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"seconds": exc.retry_after_seconds},
                ) from exc
            except InvalidLogin as exc:
                raise self.get_invalid_login_error() from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class ProjectUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "role_names",
        "last_login",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    readonly_fields = ("effective_scopes",)
    fieldsets = (*UserAdmin.fieldsets, ("API access", {"fields": ("effective_scopes",)}))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_names(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

    @admin.display(description="scopes in new tokens")
    def effective_scopes(self, user) -> str:
        return " ".join(sorted(scopes_for_user(user))) or "—"


class ScopeInline(admin.TabularInline):
    """The scopes a role grants, edited on the role's page."""

    model = Scope.roles.through
    extra = 1
    verbose_name = "scope granted"
    verbose_name_plural = "scopes granted"


# Groups are shown once, as roles, with the scopes they grant.
admin.site.unregister(Group)


@admin.register(Role)
class RoleAdmin(GroupAdmin):
    list_display = ("name", "scope_names")
    inlines = (ScopeInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("scopes")

    @admin.display(description="scopes")
    def scope_names(self, role) -> str:
        return " ".join(scope.name for scope in role.scopes.all())


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "role_names")
    search_fields = ("name", "description")
    filter_horizontal = ("roles",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="granted to roles")
    def role_names(self, scope) -> str:
        return ", ".join(role.name for role in scope.roles.all())


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Read-only; deleting a username's rows lifts its lockout early."""

    list_display = ("username_key", "client_address", "failed_at")
    search_fields = ("username_key", "client_address")
    date_hierarchy = "failed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RegistrationAttempt)
class RegistrationAttemptAdmin(admin.ModelAdmin):
    """Read-only; deleting an address's rows lifts its registration limit early."""

    list_display = ("client_address", "attempted_at")
    search_fields = ("client_address",)
    date_hierarchy = "attempted_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
