"""The browser and the admin say who acts: the signed-in person, for the whole request.

After Django's authentication middleware. The REST API re-says it once DRF has authenticated
(``core.api.acting``), since token and Basic auth happen inside the view. A refused permission
anywhere in the request is Django's 403 page, with the message naming the permission.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.defaults import permission_denied

from core.access.acting import Acting, Via, acting_as
from core.access.permissions import PermissionRefused


class ActingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(Acting.for_person(request.user, surface_of(request))):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionRefused):
            return permission_denied(request, PermissionDenied(str(exception)))
        return None


def surface_of(request: HttpRequest) -> Via:
    return Via.ADMIN if request.path.startswith(reverse("admin:index")) else Via.BROWSER
