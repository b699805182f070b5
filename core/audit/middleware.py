"""Who acts in a request to the admin, the API or the pages: the signed-in person, through the
surface the path belongs to (SPEC §18). Slack's endpoints say who acts themselves (the user who
typed or clicked), so they are left alone here, as are probes and metrics.

The person is read when a change is recorded, not when the request arrives: the API authenticates
(Basic auth, tokens) in its views, after this middleware has run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from core.access import Acting, Via, acting_as

# The first prefix that matches decides; None: this middleware does not say who acts.
SURFACES: tuple[tuple[str, Via | None], ...] = (
    ("/admin/", Via.ADMIN),
    ("/core/", Via.API),
    ("/slack/", None),
    ("/healthz", None),
    ("/metrics", None),
    ("/", Via.BROWSER),
)


def surface_of(path: str) -> Via | None:
    return next((via for prefix, via in SURFACES if path.startswith(prefix)), None)


class ActingFromRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = surface_of(request.path_info)
        if via is None:
            return self.get_response(request)
        person = SimpleLazyObject(lambda: request.user)
        with acting_as(Acting(via=via, person=person)):
            return self.get_response(request)
