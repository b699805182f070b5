"""The browser and the admin say who acts: the signed-in person, for the whole request.

After Django's authentication middleware. The REST API re-says it once DRF has authenticated
(``core.api.acting``), since token and Basic auth happen inside the view. Views that say who acts
themselves (Slack's endpoints, signed by Slack, and the cron's) are marked ``says_who_acts``:
until they do, the system acts. A refused permission anywhere in the request is Django's 403
page, with the message naming the permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.defaults import permission_denied

from core.access.acting import Acting, Via, act_from_here_as, acting_as, current
from core.access.permissions import PermissionRefused

View = TypeVar("View", bound=Callable[..., Any])


def says_who_acts(view: View) -> View:
    """Mark a view that says who acts itself: the person signed in to the browser does not."""
    view.says_who_acts = True  # type: ignore[attr-defined]
    return view


class ActingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A block of the request's own: whoever it says acts, acts until it is answered.
        with acting_as(current()):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, *args: Any) -> None:
        if not getattr(view, "says_who_acts", False):
            act_from_here_as(Acting.for_person(request.user, surface_of(request)))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionRefused):
            return permission_denied(request, PermissionDenied(str(exception)))
        return None


def surface_of(request: HttpRequest) -> Via:
    return Via.ADMIN if request.path.startswith(reverse("admin:index")) else Via.BROWSER
