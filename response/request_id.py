"""A request id for every HTTP request, in its log lines and in its answer (SPEC §19).

The id a proxy or load balancer already gave the request (``X-Request-ID``) is kept, so that one
id follows the request through every system's logs; a request without one, or with one that does
not look like an id, gets a new one. Either way it is bound to the log context while the request
is handled, kept on ``request.request_id``, and returned in the ``X-Request-ID`` header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from response.log_context import log_context

REQUEST_ID_HEADER = "X-Request-ID"
# What proxies send (UUIDs, hex, AWS's "Root=1-…" trace ids) and nothing a log reader could be
# fooled by: no spaces, quotes or control characters, and not unbounded.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:;=+/-]{1,128}")


def accepted_request_id(given: str | None) -> str:
    """``given`` if it is a plausible request id, otherwise a new random one."""
    if given is not None and _ACCEPTED_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that what every later middleware logs carries the id too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        with log_context(request_id=request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
