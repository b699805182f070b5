"""The web pages (SPEC §10): the incident list, the incident document and its follow-up ticks.

Each view reads through selectors, hands display-ready objects to its template, and renders in
the viewer's time zone.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core import selectors as core_selectors
from core import services as core_services
from core.models import Action, Incident
from ui import presenters
from ui.forms import ActionDoneForm, IncidentFilterForm
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


@login_required
@require_http_methods(["GET", "POST"])
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    """Tick (done) or untick (open again) a follow-up, then back to it on its incident's page.

    A GET changes nothing: it only goes back to the page (after logging in, say).
    """
    action = get_object_or_404(core_selectors.action_list(), pk=action_id)
    if request.method == "POST":
        core_services.action_update(action=action, done=ActionDoneForm(request.POST).is_done())
    return redirect(_action_url(action))


def _action_url(action: Action) -> str:
    return f"{reverse('ui:incident_detail', args=[action.incident_id])}#action-{action.pk}"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon, for browsers that ask ``/favicon.ico`` of pages naming none (the API's)."""
    return redirect(static("ui/img/favicon.svg"), permanent=True)
