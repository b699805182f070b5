"""A Content-Security-Policy on every response: scripts only from our own static files.

Incident text is sanitized before it reaches a page (``ui.markup``); this header is the second
wall, so that even a sanitizer bug could not run an inline script or load one from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
STRICT_POLICY = "; ".join(f"{name} {value}" for name, value in _DIRECTIVES.items())
# Django's admin, DRF's browsable API and Swagger UI put inline styles in their own templates.
# Styles only: their scripts still have to come from our static files.
THIRD_PARTY_POLICY = STRICT_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
THIRD_PARTY_PREFIXES = ("/admin/", "/core/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            third_party = request.path.startswith(THIRD_PARTY_PREFIXES)
            response.headers["Content-Security-Policy"] = (
                THIRD_PARTY_POLICY if third_party else STRICT_POLICY
            )
        return response
