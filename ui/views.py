"""The web pages (SPEC §10): the incident list and the incident document.

Each view reads through selectors, hands display-ready objects to its template, and renders in
the viewer's time zone.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import selectors as core_selectors
from core.models import Incident
from ui import presenters
from ui.forms import IncidentFilterForm
from ui.timezones import viewer_timezone

INCIDENTS_PER_PAGE = 25


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    zone = viewer_timezone(request)
    with timezone.override(zone):
        return render(request, template, {**context, "viewer_timezone": zone.key})


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET)
    incidents = core_selectors.incident_search(**form.filters())
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    return _render(
        request,
        "ui/incident_list.html",
        {"form": form, "page": page, "rows": presenters.incident_rows(page.object_list)},
    )


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        incident = core_selectors.incident_document(incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    document = presenters.incident_document(
        incident=incident,
        actions=list(core_selectors.actions_for_incident(incident=incident)),
        timeline=list(core_selectors.timeline_for_incident(incident=incident)),
        participants=core_selectors.participants_for_incident(incident=incident),
    )
    return _render(request, "ui/incident_detail.html", {"doc": document})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon, for browsers that ask ``/favicon.ico`` of pages naming none (the API's)."""
    return redirect(static("ui/img/favicon.svg"), permanent=True)
