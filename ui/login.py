"""The login page: a password form, and a button for the company's sign-in provider when one is
set up (SPEC §18). With ``OIDC_ONLY`` the provider is the only way in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ui import oidc

PASSWORDS_OFF = "Signing in with a password is turned off here: use {provider}."


def ways_in() -> dict[str, Any]:
    """What the login page offers: the provider's button, the password form, or both."""
    return {
        "sso": oidc.enabled(),
        "sso_name": settings.OIDC_PROVIDER_NAME,
        "passwords": not settings.OIDC_ONLY,
    }


class PasswordBackend(ModelBackend):
    """Django's username and password check, unless passwords are turned off (``OIDC_ONLY``):
    then no password lets anyone in, on the login page, the admin or the API."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        if settings.OIDC_ONLY:
            return None
        return super().authenticate(request, *args, **kwargs)


class LoginPage(auth_views.LoginView):
    template_name = "ui/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **ways_in()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.OIDC_ONLY:
            messages.error(request, PASSWORDS_OFF.format(provider=settings.OIDC_PROVIDER_NAME))
            return redirect(settings.LOGIN_URL)
        return super().post(request, *args, **kwargs)
