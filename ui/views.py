"""The web pages (SPEC §10): the incident list, the incident document and its follow-up ticks.

Each view reads through selectors, hands display-ready objects to its template, and renders in
the viewer's time zone.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from core import selectors as core_selectors
from core import services as core_services
from core.access import current, visible_incidents
from core.models import Action, Incident, PostmortemSectionKey
from ui import postmortem, presenters, timeline_render
from ui.forms import (
    ActionDoneForm,
    ActionEditForm,
    IncidentFilterForm,
    PostmortemStatusForm,
    SectionForm,
    TimelineEditForm,
    TimelineHideForm,
    TimelineNoteForm,
)
from ui.history import HISTORY_ROWS, history_rows
from ui.htmx import asked_by_htmx, login_required_for_parts
from ui.timezones import viewer_timezone

INCIDENTS_PER_PAGE = 25
# A timeline entry's edit form: alone when the postmortem page swaps it in, else in a page.
ENTRY_EDIT_PART = "ui/_timeline_entry_edit.html"
ENTRY_EDIT_PAGE = "ui/timeline_entry_edit.html"


def _of_visible_incidents(records: QuerySet, request: HttpRequest) -> QuerySet:
    """Follow-ups or timeline entries of incidents the viewer may see (one subquery): those of a
    private incident they are not in answer 404, as the incident itself does."""
    return records.filter(incident__in=visible_incidents().values("pk"))


def _page(request: HttpRequest, template: str, context: dict) -> str:
    """The page's HTML, its times in the viewer's time zone."""
    zone = viewer_timezone(request)
    with timezone.override(zone):
        return render_to_string(template, {**context, "viewer_timezone": zone.key}, request=request)


def _render(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    return HttpResponse(_page(request, template, context), status=status)


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET)
    filters = form.filters()
    incidents = core_selectors.IdsFirst(
        core_selectors.incident_search(**filters), count=core_selectors.incident_count(**filters)
    )
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    return _render(
        request,
        "ui/incident_list.html",
        {
            "form": form,
            "page": page,
            "rows": presenters.incident_rows(
                page.object_list,
                core_selectors.overdue_counts(
                    incident_ids=[i.pk for i in page.object_list], now=timezone.now()
                ),
            ),
        },
    )


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        incident = core_selectors.incident_document(incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    timeline = timeline_render.prepare(incident=incident, zone=viewer_timezone(request))
    document = presenters.incident_document(
        incident=incident,
        actions=list(core_selectors.actions_for_incident(incident=incident)),
        # Rendered apart, once per change to it; its names are read with the page's.
        timeline=(),
        also_named=timeline.refs,
        participants=core_selectors.participants_for_incident(incident=incident),
        milestones=core_selectors.milestones_for_incident(incident=incident),
        roles=list(core_selectors.role_list()),
        # One query more, for merged incidents only.
        merged_into=incident.merged_into if incident.merged_into_id else None,
        updates=list(core_selectors.updates_for_incident(incident=incident)),
        followers=[
            follower.user for follower in core_selectors.followers_for_incident(incident=incident)
        ],
    )
    history = history_rows(core_selectors.audit_for_incident(incident=incident, limit=HISTORY_ROWS))
    rendered = timeline.render(document.markup)
    return _render_around_timeline(
        request,
        "ui/incident_detail.html",
        {"doc": replace(document, timeline=rendered.rows), "history": history},
        rendered,
    )


def _render_around_timeline(
    request: HttpRequest,
    template: str,
    context: dict,
    timeline: timeline_render.RenderedTimeline | None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The page, with its kept timeline put into the page's bytes where the template leaves a
    hole for it (``timeline_html``). The timeline of 2,000 entries is 1 to 3 MB of HTML: kept as
    UTF-8, it is not decoded, copied at every join of the template and encoded again."""
    hole = f"<!--timeline {secrets.token_hex(16)}-->"
    hole_html = mark_safe(hole) if timeline else ""  # noqa: S308
    page = _page(request, template, {**context, "timeline_html": hole_html})
    before, _, after = page.partition(hole)
    kept = b""
    if timeline:
        kept = timeline.for_viewer(get_token(request) if timeline.csrf_mark else "")
    return HttpResponse(b"".join([before.encode(), kept, after.encode()]), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    """Tick (done) or untick (open again) a follow-up, then back to it on its incident's page.

    A GET changes nothing: it only goes back to the page (after logging in, say).
    """
    action = get_object_or_404(
        _of_visible_incidents(core_selectors.action_list(), request), pk=action_id
    )
    if request.method == "POST":
        core_services.action_update(action=action, done=ActionDoneForm(request.POST).is_done())
    return redirect(_action_url(action))


def _action_url(action: Action) -> str:
    return f"{reverse('ui:incident_detail', args=[action.incident_id])}#action-{action.pk}"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon, for browsers that ask ``/favicon.ico`` of pages naming none (the API's)."""
    return redirect(static("ui/img/favicon.svg"), permanent=True)


# --- The postmortem (SPEC §16) ----------------------------------------------------------------


def _postmortem_or_404(
    request: HttpRequest, incident_id: int, *, curation: bool = False
) -> postmortem.PostmortemView:
    """The postmortem as ``request``'s viewer may see it; with ``curation``, as the page shows
    it to them (in their time zone)."""
    zone = viewer_timezone(request) if curation else None
    try:
        return postmortem.load_postmortem(
            incident_id=incident_id, acting=current(), curation=curation, zone=zone
        )
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


def _postmortem_url(incident_id: int, anchor: str = "") -> str:
    url = reverse("ui:postmortem", args=[incident_id])
    return f"{url}#{anchor}" if anchor else url


def _render_postmortem(
    request: HttpRequest,
    view: postmortem.PostmortemView,
    *,
    status: int = 200,
    forms: dict[str, SectionForm] | None = None,
    conflicts: dict[str, str] | None = None,
    error: str = "",
    untriaged: list | None = None,
    note_form: TimelineNoteForm | None = None,
    action_forms: dict[int, ActionEditForm] | None = None,
) -> HttpResponse:
    """The page, with any form the person just sent (kept, never lost) and why it was
    refused."""
    forms = forms or {}
    zone = viewer_timezone(request)
    editors = [
        {
            "section": section,
            "form": forms.get(section.key)
            or SectionForm(
                prefix=section.key,
                initial={"text": section.source, "base_revision": section.revision},
            ),
            "conflict": (conflicts or {}).get(section.key),
        }
        for section in view.sections
    ]
    return _render_around_timeline(
        request,
        "ui/postmortem.html",
        {
            "pm": view,
            "doc": view.doc,
            "editors": editors,
            "error": error,
            "untriaged": untriaged,
            "note_form": note_form or postmortem.note_form(zone),
            "follow_ups": postmortem.follow_ups_html(view, zone, get_token(request), action_forms),
        },
        view.curated,
        status=status,
    )


@login_required
@require_GET
def postmortem_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _render_postmortem(request, _postmortem_or_404(request, incident_id, curation=True))


@login_required
@require_http_methods(["POST"])
def postmortem_section(request: HttpRequest, incident_id: int, key: str) -> HttpResponse:
    """Save one section. A save based on an old revision is refused (409) and the page shows
    both texts: the one sent, kept in the editor, and the one saved meanwhile."""
    view = _postmortem_or_404(request, incident_id)
    form = SectionForm(request.POST, prefix=key)
    if key not in PostmortemSectionKey.values:
        raise Http404("No such section.")
    if not form.is_valid():
        return _render_postmortem(
            request,
            _postmortem_or_404(request, incident_id, curation=True),
            status=400,
            forms={key: form},
        )
    try:
        core_services.postmortem_section_save(
            incident=view.doc.incident,
            key=key,
            text=form.cleaned_data["text"],
            base_revision=form.cleaned_data["base_revision"],
            editor=request.user,
        )
    except core_services.StaleSection as stale:
        kept = SectionForm(
            prefix=key,
            initial={"text": form.cleaned_data["text"], "base_revision": stale.current.revision},
        )
        return _render_postmortem(
            request,
            _postmortem_or_404(request, incident_id, curation=True),
            status=409,
            forms={key: kept},
            conflicts={key: stale.message},
        )
    except (core_services.PostmortemRefused, ValidationError) as refused:
        return _render_postmortem(
            request,
            _postmortem_or_404(request, incident_id, curation=True),
            status=409,
            forms={key: form},
            error=getattr(refused, "message", "") or "; ".join(refused.messages),
        )
    return redirect(_postmortem_url(incident_id, f"section-{key}"))


@login_required
@require_http_methods(["POST"])
def postmortem_status(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Move the postmortem on (or back); publishing with untriaged follow-ups is refused (409),
    naming them."""
    view = _postmortem_or_404(request, incident_id)
    form = PostmortemStatusForm(request.POST)
    if not form.is_valid():
        return redirect(_postmortem_url(incident_id))
    try:
        core_services.postmortem_status_set(
            incident=view.doc.incident, status=form.cleaned_data["status"], editor=request.user
        )
    except core_services.PostmortemRefused as refused:
        return _render_postmortem(
            request,
            _postmortem_or_404(request, incident_id, curation=True),
            status=409,
            error=refused.message,
            untriaged=[a.pk for a in refused.untriaged],
        )
    return redirect(_postmortem_url(incident_id, "status"))


@login_required
@require_GET
def postmortem_markdown(request: HttpRequest, incident_id: int) -> HttpResponse:
    view = _postmortem_or_404(request, incident_id)
    with timezone.override(viewer_timezone(request)):
        text = postmortem.postmortem_markdown(view)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="incident-{incident_id}-postmortem.md"'
    return response


PAPER_SIZES = ("a4", "letter")


@login_required
@require_GET
def postmortem_print(request: HttpRequest, incident_id: int) -> HttpResponse:
    paper = request.GET.get("paper", "a4")
    return _render(
        request,
        "ui/postmortem_print.html",
        {
            "pm": _postmortem_or_404(request, incident_id),
            "paper": paper if paper in PAPER_SIZES else "a4",
            "papers": PAPER_SIZES,
        },
    )


@login_required
@require_http_methods(["POST"])
def postmortem_note(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Add a note to the timeline at a time read in the viewer's zone; a refused one is shown
    again with its errors (400)."""
    view = _postmortem_or_404(request, incident_id)
    form = postmortem.note_form(viewer_timezone(request), request.POST)
    if form.is_valid():
        try:
            entry = core_services.timeline_note_curate(
                incident=view.doc.incident,
                text=form.cleaned_data["text"],
                time=form.cleaned_data["when"],
                author=core_selectors.external_user_for_login(user=request.user),
                editor=request.user,
            )
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            return redirect(_postmortem_url(incident_id, f"entry-{entry.pk}"))
    return _render_postmortem(
        request, _postmortem_or_404(request, incident_id, curation=True), status=400, note_form=form
    )


@login_required
@require_http_methods(["POST"])
def action_edit(request: HttpRequest, action_id: int) -> HttpResponse:
    """Triage a follow-up: owner, due date (read in the viewer's zone), priority, status."""
    action = get_object_or_404(
        _of_visible_incidents(core_selectors.action_list(), request), pk=action_id
    )
    view = _postmortem_or_404(request, action.incident_id, curation=True)
    row = next(row for row in view.doc.actions if row.id == action.pk)
    zone = viewer_timezone(request)
    form = postmortem.action_form(row, postmortem.action_owners(view), zone, request.POST)
    if form.is_valid():
        try:
            core_services.action_update(action=action, **form.changes(zone))
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            return redirect(_postmortem_url(action.incident_id, f"action-{action.pk}"))
    return _render_postmortem(request, view, status=400, action_forms={action.pk: form})


@login_required
@require_http_methods(["POST"])
def timeline_hide(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Hide an entry from the curated timeline, or show it again; nothing is deleted."""
    entry = get_object_or_404(
        _of_visible_incidents(core_selectors.timeline_event_list(), request), pk=entry_id
    )
    form = TimelineHideForm(request.POST)
    if form.is_valid():
        core_services.timeline_entry_hide(
            entry=entry, hidden=form.cleaned_data["hidden"], editor=request.user
        )
    return redirect(_postmortem_url(entry.incident_id, f"entry-{entry.pk}"))


@login_required_for_parts
@require_http_methods(["GET", "POST"])
def timeline_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Correct an entry's text. A GET is its form: the postmortem page fetches it into the entry
    when asked (htmx) instead of carrying a form for each of thousands of entries, and without
    scripts it is a page of its own. A refused text comes back in the form with the reason."""
    entry = get_object_or_404(
        _of_visible_incidents(core_selectors.timeline_event_list(), request), pk=entry_id
    )
    if request.method == "GET":
        form = TimelineEditForm(initial={"text": entry.text})
    else:
        form = TimelineEditForm(request.POST)
        if form.is_valid():
            core_services.timeline_entry_edit(
                entry=entry, text=form.cleaned_data["text"], editor=request.user
            )
            return redirect(_postmortem_url(entry.incident_id, f"entry-{entry.pk}"))
    template = ENTRY_EDIT_PART if asked_by_htmx(request) else ENTRY_EDIT_PAGE
    status = 400 if form.is_bound else 200
    return _render(request, template, {"entry": entry, "form": form}, status=status)
