"""Auth endpoints (docs/contract.md §2.4), each with and without a trailing slash, never
redirected."""

from django.urls import re_path

from accounts import apis, password_change_api

urlpatterns = [
    re_path(r"^login/?$", apis.LoginApi.as_view(), name="login"),
    re_path(r"^register/?$", apis.RegisterApi.as_view(), name="register"),
    re_path(r"^verify/?$", apis.VerifyApi.as_view(), name="verify"),
    re_path(r"^token/refresh/?$", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    re_path(r"^logout/?$", apis.LogoutApi.as_view(), name="logout"),
    re_path(r"^private/?$", apis.PrivateApi.as_view(), name="private"),
    re_path(r"^password/?$", password_change_api.PasswordChangeApi.as_view(), name="password"),
]
