"""Time every HTTP request for ``response_http_request_duration_seconds``."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase

from response import metrics

# Requests that matched no URL pattern: a 404, or something answered before URL resolution.
UNMATCHED = "unmatched"
STATIC = "static"


def route_of(request: HttpRequest) -> str:
    """The name of the URL pattern that answered (``slack:event``), never the path itself.

    Paths carry ids (``/incident/42/``); one series per id would grow without bound.
    """
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or UNMATCHED
    if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
        return STATIC  # whitenoise answers these before URLs are resolved
    return UNMATCHED


class RequestMetricsMiddleware:
    """Right after the request id, so that the time includes every other middleware.

    Left out of the chain when metrics are off (no ``METRICS_TOKEN``): nobody could read what it
    measured, and Slack's requests should not pay for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not settings.METRICS_TOKEN:
            raise MiddlewareNotUsed("metrics are off: METRICS_TOKEN is not set")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            route=route_of(request),
            method=request.method or "",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
