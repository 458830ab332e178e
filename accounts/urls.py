"""Auth endpoints (design §2.4), each with and without a trailing slash, never redirected."""

from django.urls import re_path

from accounts import password_change_api, views

urlpatterns = [
    re_path(r"^login/?$", views.LoginApi.as_view(), name="login"),
    re_path(r"^register/?$", views.RegisterApi.as_view(), name="register"),
    re_path(r"^verify/?$", views.VerifyApi.as_view(), name="verify"),
    re_path(r"^token/refresh/?$", views.TokenRefreshApi.as_view(), name="token-refresh"),
    re_path(r"^logout/?$", views.LogoutApi.as_view(), name="logout"),
    re_path(r"^private/?$", views.PrivateApi.as_view(), name="private"),
    re_path(r"^password/?$", password_change_api.PasswordChangeApi.as_view(), name="password"),
]
