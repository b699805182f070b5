"""Sign-in through the company's OpenID Connect provider (SPEC §18), with mozilla-django-oidc.

Only ``OIDC_ISSUER``, the client id and its secret are configured: the endpoints and the id
token's signing algorithm (RS256 when the provider offers it, else HS256 with the client secret)
come from the issuer's discovery document, read once per process when first needed. A person is
let in when the provider vouches for an email Response knows (``core.services.person_signing_in``);
every refusal is said on the login page, and a forged or stale callback changes nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core import services

logger = logging.getLogger(__name__)

DISCOVERY_TIMEOUT_SECONDS = 10
# What each mozilla-django-oidc setting is called in the discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
UNREACHABLE = (
    "The sign-in provider could not be reached, so signing in with it is not possible just now. "
    "Try again in a moment, or sign in with a password if you have one."
)

_discovered: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


class ProviderUnreachable(Exception):
    """The issuer's discovery document could not be read."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def discovery() -> dict[str, Any]:
    """The issuer's ``/.well-known/openid-configuration``, read once per process (a failure is
    not kept, so the next sign-in tries again)."""
    issuer = settings.OIDC_ISSUER
    with _discovery_lock:
        if issuer not in _discovered:
            url = f"{issuer}/.well-known/openid-configuration"
            try:
                answer = requests.get(url, timeout=DISCOVERY_TIMEOUT_SECONDS)
                answer.raise_for_status()
                _discovered[issuer] = answer.json()
            except (requests.RequestException, ValueError) as error:
                logger.warning("OIDC discovery at %s failed: %s", url, error)
                raise ProviderUnreachable(str(error)) from error
        return _discovered[issuer]


def forget_discovery() -> None:
    with _discovery_lock:
        _discovered.clear()


def signing_algorithm(document: dict[str, Any]) -> str:
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    return "RS256" if "RS256" in offered else "HS256"


def oidc_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, the provider's endpoints and algorithm discovered."""
    if attr in DISCOVERED and enabled():
        return discovery().get(DISCOVERED[attr], *default)
    if attr == "OIDC_RP_SIGN_ALGO" and enabled():
        return signing_algorithm(discovery())
    return import_from_settings(attr, *default)


class ResponseOIDCBackend(OIDCAuthenticationBackend):
    """The provider's word on who someone is, mapped to a Response login by email."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every sign-in, password ones too, builds each backend: the provider's endpoints are
        # read only when its answer is being checked (authenticate), so that a password sign-in
        # never waits on the provider, or fails with it.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not enabled() or request is None or "code" not in request.GET:
            return None
        super().__init__()  # the discovered endpoints and algorithm, for this sign-in
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return super().verify_token(token, **kwargs)
        except jwt.ExpiredSignatureError as error:
            raise SuspiciousOperation("The sign-in has expired; please sign in again.") from error
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"The provider's token is not valid: {error}") from error

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        if claims.get("email_verified") is False:
            messages.error(self.request, "The provider has not verified your email address.")
            return self.UserModel.objects.none()
        try:
            login = services.person_signing_in(
                email=claims.get("email", ""), name=claims.get("name", "")
            )
        except services.SignInRefused as refusal:
            messages.error(self.request, str(refusal))
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(pk=login.pk)

    def create_user(self, claims: dict[str, Any]) -> None:
        # Logins are made by person_signing_in, for people Response knows; never here.
        return None


class RefusalsOnTheLoginPage:
    """What makes a sign-in fail is said on the login page, not as an error page: a forged or
    replayed callback, a bad or expired token, the provider down. Nothing else happens."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except SuspiciousOperation as error:
            logger.warning("OIDC sign-in refused: %s", error)
            messages.error(request, _reason(error))
        except (ProviderUnreachable, requests.RequestException) as error:
            logger.warning("OIDC provider unreachable during sign-in: %s", error)
            messages.error(request, UNREACHABLE)
        return redirect(settings.LOGIN_URL)


class SignInStart(RefusalsOnTheLoginPage, OIDCAuthenticationRequestView):
    """``/oidc/authenticate/``: off to the provider."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django's View.__init__ only: mozilla-django-oidc reads the endpoints here, when the
        # view is built, where an unreachable provider could not be told to the person; they
        # are read in get() instead.
        View.__init__(self, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            messages.error(request, "Signing in with a provider is not set up here.")
            return redirect(settings.LOGIN_URL)
        self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SignInCallback(RefusalsOnTheLoginPage, OIDCAuthenticationCallbackView):
    """``/oidc/callback/``: the provider's answer, checked (state, nonce, signature, expiry)."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def login_failure(self) -> HttpResponse:
        if not len(messages.get_messages(self.request)):
            messages.error(self.request, "Signing in with the provider did not succeed.")
        return super().login_failure()


def _reason(error: SuspiciousOperation) -> str:
    text = str(error)
    if "state" in text.lower():
        return (
            "This sign-in could not be matched to one started here (its state is unknown or "
            "was used already). Please sign in again."
        )
    if "nonce" in text.lower():
        return "The provider's answer was not for this sign-in (nonce mismatch). Please try again."
    if "jws" in text.lower() or "signature" in text.lower():
        return "The provider's token did not carry a valid signature, so it was not trusted."
    return text
