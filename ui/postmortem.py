"""The postmortem of an incident (SPEC §16): the page's data, and its Markdown export.

The page, the print view and the Markdown file are all made from one ``PostmortemView``, so what
is printed or exported is what the page shows. The incident's facts (milestones, numbers, roles,
participants, follow-ups, timeline) come from the incident document (``ui.presenters``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from core import selectors as core_selectors
from core.access import Acting
from core.models import (
    ExternalUser,
    Incident,
    PostmortemSection,
    PostmortemSectionKey,
    PostmortemStatus,
)
from core.services import POSTMORTEM_MOVES
from ui import presenters, timeline_render
from ui.forms import ActionEditForm, TimelineNoteForm
from ui.markup import SlackMarkup, md_text, md_url

# What each section asks of its writers, shown while it is empty.
SECTION_PROMPTS: dict[str, str] = {
    PostmortemSectionKey.SUMMARY: "What happened, in a few sentences.",
    PostmortemSectionKey.IMPACT: "Who or what was affected, how much and for how long.",
    PostmortemSectionKey.ROOT_CAUSE: "Why it happened: the cause underneath the symptoms.",
    PostmortemSectionKey.CONTRIBUTING_FACTORS: "What made it more likely, worse or longer.",
    PostmortemSectionKey.WENT_WELL: "What helped: keep doing it.",
    PostmortemSectionKey.WENT_BADLY: "What hindered: what we would change.",
    PostmortemSectionKey.LESSONS: "What we learnt, and what we will do differently.",
}

# Sections that start from what the incident already says.
PREFILLED_FROM_INCIDENT = {
    PostmortemSectionKey.SUMMARY: "summary",
    PostmortemSectionKey.IMPACT: "impact",
}

# The buttons of each move: what it says on the page, by the state it goes to.
MOVE_LABELS: dict[str, str] = {
    PostmortemStatus.DRAFT: "Back to draft",
    PostmortemStatus.IN_REVIEW: "Ask for review",
    PostmortemStatus.PUBLISHED: "Publish",
}

# How many of a section's revisions the page lists (all are kept).
REVISIONS_SHOWN = 10


@dataclass(frozen=True)
class RevisionRow:
    number: int
    editor: str
    saved_at: dt.datetime


@dataclass(frozen=True)
class SectionView:
    key: str
    label: str
    prompt: str
    # What the section says: rendered for the page, as typed for the editor (and, below, as
    # Markdown for the export).
    html: SafeString
    source: str
    revision: int
    revisions: tuple[RevisionRow, ...]
    revision_count: int
    # Still the incident's own text (nobody saved the section yet).
    prefilled: bool
    # The page's markup (it knows the names the text mentions), for ``markdown``.
    markup: SlackMarkup = field(repr=False, compare=False, kw_only=True)

    @property
    def markdown(self) -> str:
        """The text as Markdown, made when an export asks for it: the page never shows it, and
        making it for seven sections on every view cost the page a few milliseconds."""
        return self.markup.markdown(self.source)


@dataclass(frozen=True)
class StatusMove:
    status: str
    label: str


@dataclass(frozen=True)
class PostmortemView:
    doc: presenters.IncidentDocument
    status: str
    status_label: str
    status_changed_at: dt.datetime | None
    status_changed_by: str
    sections: list[SectionView]
    moves: list[StatusMove]
    untriaged: list[presenters.ActionRow]
    # The page's timeline, every entry with its controls (``curation`` only).
    curated: timeline_render.RenderedTimeline | None = None

    @property
    def timeline(self) -> list[presenters.TimelineRow]:
        """The curated timeline (hidden entries left out), as the exports show it."""
        return [row for row in self.doc.timeline if not row.hidden]

    @property
    def editable(self) -> bool:
        return self.status != PostmortemStatus.PUBLISHED

    @property
    def hidden_count(self) -> int:
        if self.curated is not None:
            return self.curated.hidden_count
        return sum(row.hidden for row in self.doc.timeline)

    def section(self, key: str) -> SectionView:
        return next(s for s in self.sections if s.key == key)


def load_postmortem(
    *,
    incident_id: int,
    acting: Acting,
    curation: bool = False,
    zone: zoneinfo.ZoneInfo | None = None,
) -> PostmortemView:
    """Everything the postmortem page (``curation``: with hidden entries and edit histories,
    rendered for ``zone``) or an export shows. Raises ``Incident.DoesNotExist``, also when
    ``acting`` may not see it. A constant number of queries."""
    incident = core_selectors.incident_document(incident_id=incident_id, acting=acting)
    postmortem = core_selectors.postmortem_for_incident(incident=incident)
    saved = {s.key: s for s in postmortem.sections.all()} if postmortem else {}
    sources = {key: _section_source(incident, key, saved.get(key)) for key in PostmortemSectionKey}
    # The page's timeline is rendered once per change to it (ui/timeline_render.py); the
    # exports read theirs.
    pending = (
        timeline_render.prepare(incident=incident, zone=zone or _default_zone(), variant="curation")
        if curation
        else None
    )
    doc = presenters.incident_document(
        incident=incident,
        actions=list(core_selectors.actions_for_incident(incident=incident)),
        timeline=() if pending else list(core_selectors.timeline_for_incident(incident=incident)),
        participants=core_selectors.participants_for_incident(incident=incident),
        milestones=core_selectors.milestones_for_incident(incident=incident),
        roles=list(core_selectors.role_list()),
        merged_into=incident.merged_into if incident.merged_into_id else None,
        extra_texts=list(sources.values()),
        also_named=pending.refs if pending else presenters.NOBODY,
    )
    curated = pending.render(doc.markup) if pending else None
    if curated is not None:
        doc = replace(doc, timeline=curated.rows)
    status = postmortem.status if postmortem else PostmortemStatus.DRAFT
    return PostmortemView(
        doc=doc,
        status=status,
        status_label=PostmortemStatus(status).label,
        status_changed_at=postmortem.status_changed_at if postmortem else None,
        status_changed_by=postmortem.status_changed_by if postmortem else "",
        sections=[_section_view(doc, key, sources[key], saved.get(key)) for key in sources],
        moves=[
            StatusMove(status=move, label=MOVE_LABELS[move])
            for move in PostmortemStatus
            if move in POSTMORTEM_MOVES[status]
        ],
        untriaged=[row for row in doc.actions if not row.triaged],
        curated=curated,
    )


def _default_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _section_source(incident: Incident, key: str, saved: PostmortemSection | None) -> str:
    if saved is not None:
        return saved.text
    attribute = PREFILLED_FROM_INCIDENT.get(key)
    return getattr(incident, attribute) if attribute else ""


def _section_view(
    doc: presenters.IncidentDocument, key: str, source: str, saved: PostmortemSection | None
) -> SectionView:
    revisions = list(saved.revisions.all()) if saved else []
    return SectionView(
        key=key,
        label=PostmortemSectionKey(key).label,
        prompt=SECTION_PROMPTS[key],
        html=mark_safe(doc.markup.html(source)),  # noqa: S308 (SlackMarkup.html is sanitized)
        source=source,
        revision=saved.revision if saved else 0,
        revisions=tuple(
            RevisionRow(number=r.number, editor=r.editor_name or "someone", saved_at=r.saved_at)
            for r in revisions[:REVISIONS_SHOWN]
        ),
        revision_count=len(revisions),
        prefilled=saved is None and bool(source),
        markup=doc.markup,
    )


# --- Triage and notes on the page --------------------------------------------------------------


@dataclass(frozen=True)
class TriageRow:
    """A follow-up as the page lists it, with the form that changes it."""

    action: presenters.ActionRow
    form: ActionEditForm

    @property
    def open(self) -> bool:
        # Left open after a refused save, so its errors are seen next to what was typed.
        return self.form.is_bound


def action_form_prefix(action_id: int) -> str:
    return f"action-{action_id}"


def note_form(zone: dt.tzinfo, data: dict | None = None) -> TimelineNoteForm:
    return TimelineNoteForm(data, prefix="note", zone=zone)


def action_owners(view: PostmortemView) -> dict[int, ExternalUser]:
    """Who can own the page's follow-ups, by id: one query for every form on the page."""
    keep = {row.owner_id for row in view.doc.actions if row.owner_id is not None}
    return {user.pk: user for user in core_selectors.action_owner_choices(keep=keep)}


def action_form(
    row: presenters.ActionRow,
    owners: dict[int, ExternalUser],
    zone: dt.tzinfo,
    data: dict | None = None,
) -> ActionEditForm:
    """A follow-up's triage form: as sent (``data``), else filled with what it says now.

    People deactivated in Slack are offered only for the follow-ups they already own.
    """
    due = row.due_at.astimezone(zone).date() if row.due_at else None
    return ActionEditForm(
        data,
        prefix=action_form_prefix(row.id),
        owners={pk: u for pk, u in owners.items() if not u.deleted or pk == row.owner_id},
        initial={
            "owner": row.owner_id,
            "due": due,
            "priority": row.priority_value,
            "status": row.status,
        },
    )


def triage_rows(
    view: PostmortemView,
    zone: dt.tzinfo,
    bound: dict[int, ActionEditForm] | None = None,
    owners: dict[int, ExternalUser] | None = None,
) -> list[TriageRow]:
    """Every follow-up with its form; ``bound`` keeps the forms someone just sent (refused).
    ``owners``: ``action_owners(view)``, when already read."""
    bound = bound or {}
    if owners is None:
        owners = action_owners(view) if view.doc.actions else {}
    return [
        TriageRow(action=row, form=bound.get(row.id) or action_form(row, owners, zone))
        for row in view.doc.actions
    ]


FOLLOW_UPS_TEMPLATE = "ui/_postmortem_follow_ups.html"


def follow_ups_html(
    view: PostmortemView,
    zone: zoneinfo.ZoneInfo,
    csrf_token: str,
    bound: dict[int, ActionEditForm] | None = None,
) -> SafeString:
    """The page's follow-ups, each with its triage form, for a viewer in ``zone``.

    Twenty follow-ups are eighty form fields (the owner's a select of everyone who can own
    one), and building and drawing them was most of what the page did on each view. What they
    show is made only of the follow-ups as read for this view, the people who can own them and
    the viewer's zone, so the HTML is kept under a digest of exactly those (``follow_ups_key``):
    any change to any of them is another key, and a kept render is never out of date. The
    viewer's CSRF token is put in on each request (a random mark per render holds its place).
    Forms someone just sent (``bound``, refused) are drawn afresh, with what they typed.
    """
    owners = action_owners(view) if view.doc.actions else {}
    if bound:
        return _follow_ups(view, zone, triage_rows(view, zone, bound, owners), csrf_token)
    cache = caches[settings.RENDER_CACHE]
    key = follow_ups_key(view, owners, zone)
    kept = cache.get(key)
    if kept is None:
        mark = secrets.token_hex(16)
        kept = (mark, _follow_ups(view, zone, triage_rows(view, zone, owners=owners), mark))
        cache.set(key, kept, timeline_render.KEPT_SECONDS)
    mark, html = kept
    # Rendered by our own template, where every text was escaped or cleaned by ui.markup.
    return mark_safe(html.replace(mark, csrf_token))  # noqa: S308


def follow_ups_key(
    view: PostmortemView, owners: dict[int, ExternalUser], zone: zoneinfo.ZoneInfo
) -> str:
    """A digest of everything the follow-ups' HTML is made from: each follow-up as the page
    shows it (overdue or not as of this view included), who can own them as the forms offer
    them, and the zone their dates are shown in."""
    made_of = (
        view.doc.actions,
        view.doc.overdue_count,
        [(pk, user.name, user.deleted) for pk, user in owners.items()],
        zone.key,
    )
    return "ui:follow-ups:" + hashlib.sha256(repr(made_of).encode()).hexdigest()


def _follow_ups(
    view: PostmortemView, zone: zoneinfo.ZoneInfo, rows: list[TriageRow], csrf_token: str
) -> str:
    with timezone.override(zone):
        return render_to_string(
            FOLLOW_UPS_TEMPLATE, {"doc": view.doc, "triage": rows, "csrf_token": csrf_token}
        )


# --- Markdown export --------------------------------------------------------------------------


def export_time(moment: dt.datetime | None) -> str:
    """``2026-12-01 14:05 UTC`` in the active (viewer's) zone; ``—`` for none."""
    if moment is None:
        return "—"
    return date_format(timezone.localtime(moment), "Y-m-d H:i T")


def postmortem_markdown(view: PostmortemView) -> str:
    """The postmortem as one Markdown document (GitHub and wiki flavoured)."""
    return "\n".join(_markdown_lines(view)).rstrip("\n") + "\n"


def _markdown_lines(view: PostmortemView) -> Iterator[str]:
    doc = view.doc
    incident = doc.incident
    yield f"# Postmortem: incident #{incident.pk}, {md_text(doc.title, raw=True)}"
    yield ""
    severity = incident.severity_text.capitalize() if incident.severity else "No severity"
    yield (
        f"**Postmortem:** {view.status_label} · **Incident:** {md_text(incident.status_label)} · "
        f"**Severity:** {md_text(severity, raw=True)}" + (" · **Drill**" if incident.drill else "")
    )
    zone = timezone.get_current_timezone_name()
    yield ""
    yield f"Times are in {md_text(zone, raw=True)}."
    for section in view.sections:
        yield ""
        yield f"## {section.label}"
        yield ""
        yield section.markdown or "*Not written yet.*"
    yield from _milestone_lines(doc)
    yield from _people_lines(doc)
    yield from _follow_up_lines(doc)
    yield from _timeline_lines(view.timeline, doc.markup)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    header = list(header)
    yield "| " + " | ".join(header) + " |"
    yield "|" + "|".join(" --- " for _ in header) + "|"
    for row in rows:
        yield "| " + " | ".join(row) + " |"


def _milestone_lines(doc: presenters.IncidentDocument) -> Iterator[str]:
    yield ""
    yield "## Milestones"
    yield ""
    yield from _table(
        ["Milestone", "Time", "Set by"],
        (
            [m.label, export_time(m.time), md_text(m.set_by, raw=True) or "—"]
            for m in doc.milestones
        ),
    )
    yield ""
    yield "### Numbers"
    yield ""
    if doc.not_counted:
        yield f"Not counted in the insights: {md_text(doc.not_counted, raw=True)}."
        yield ""
    yield from _table(
        ["Number", "Value", "Measured as"],
        (
            [n.label, n.value + (f" ({n.missing})" if n.missing else ""), n.formula]
            for n in doc.numbers
        ),
    )


def _people_lines(doc: presenters.IncidentDocument) -> Iterator[str]:
    yield ""
    yield "## Roles"
    yield ""
    for role in doc.roles:
        yield f"- **{md_text(role.label, raw=True)}:** {md_text(role.holder, raw=True) or '—'}"
    for label in doc.unheld_roles:
        yield f"- **{md_text(label, raw=True)}:** nobody"
    if not doc.roles and not doc.unheld_roles:
        yield "*No roles.*"
    yield ""
    yield "## Participants"
    yield ""
    if not doc.participants:
        yield "*Nobody wrote in the incident's channel.*"
    for p in doc.participants:
        plural = "" if p.message_count == 1 else "s"
        yield f"- {md_text(p.name, raw=True)} ({p.message_count} message{plural})"


def _follow_up_lines(doc: presenters.IncidentDocument) -> Iterator[str]:
    yield ""
    yield "## Follow-ups"
    yield ""
    if not doc.actions:
        yield "*No follow-ups.*"
    markup = doc.markup
    for action in doc.actions:
        details = markup.markdown(action.details_source)
        facts = [
            f"owner {md_text(action.owner, raw=True)}" if action.owner else "no owner",
            f"due {export_time(action.due_at)[:10]}" if action.due_at else "no due date",
            f"priority {action.priority}" if action.priority else "",
            action.status_label + (" (overdue)" if action.overdue else ""),
        ]
        box = "x" if action.done else " "
        yield from _list_item(f"[{box}] ", details, " · ".join(f for f in facts if f))


def _timeline_lines(timeline: list[presenters.TimelineRow], markup: SlackMarkup) -> Iterator[str]:
    yield ""
    yield "## Timeline"
    yield ""
    if not timeline:
        yield "*Nothing on the timeline.*"
    for entry in timeline:
        head = f"**{export_time(entry.time)}** · {md_text(entry.kind_label, raw=True)}"
        if entry.author:
            head += f" · {md_text(entry.author, raw=True)}"
        if entry.permalink:
            head += f" · [View in Slack]({md_url(entry.permalink)})"
        yield from _list_item("", head, markup.markdown(entry.markup_source))


def _list_item(marker: str, first: str, rest: str) -> Iterator[str]:
    """One list item: ``first`` on the bullet's line, ``rest`` under it, indented to stay in
    the item whatever it holds (paragraphs, quotes, code)."""
    lines = first.split("\n")
    if rest:
        lines += ["", *rest.split("\n")]
    yield f"- {marker}{lines[0]}"
    for line in lines[1:]:
        yield f"  {line}" if line else ""
