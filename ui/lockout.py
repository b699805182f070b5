"""What someone locked out after too many failed sign-ins is told (django-axes calls this)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ui.login import ways_in

API_PREFIX = "/core/"


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed sign-ins for this account or from this address, so signing in is "
        f"paused for {minutes} minutes. An administrator can lift the lock sooner in the admin, "
        f"under Axes, Access attempts."
    )


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the reason: JSON for the API, the login page with the message for a browser."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = AuthenticationForm(request, initial={"username": username})
        context = {
            "form": form,
            "locked_out": lockout_message(),
            "next": request.GET.get("next"),
            **ways_in(),
        }
        response = render(request, "ui/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response
