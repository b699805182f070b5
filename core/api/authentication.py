"""How the API knows who is calling: Basic auth (as before), a person's token, or the session."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication
from rest_framework.request import Request


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's Basic auth, checking the password against Django's own request.

    The password check is where failed sign-ins are counted and locked out (django-axes), and
    the lockout is answered from the request Django handles, not DRF's wrapper around it.
    """

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, None]:
        http_request = getattr(request, "_request", request)
        return super().authenticate_credentials(userid, password, http_request)
