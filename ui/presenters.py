"""Display-ready versions of incidents for the templates.

Templates get text already rendered (``SafeString`` only for what went through ``ui.markup``) and
names already chosen, so they hold no logic and trigger no query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.lifecycle.milestones import MILESTONE_MEANING, MilestoneKind
from core.lifecycle.numbers import NUMBERS, Number
from core.lifecycle.statuses import STATUS_MEANING, UNCOUNTED_STATUSES, IncidentStatus
from core.models import (
    Action,
    ExternalUser,
    Incident,
    Milestone,
    Role,
    TimelineEvent,
    TimelineEventKind,
    Update,
)
from core.models.incident import format_duration
from core.selectors import channel_names, external_user_names
from ui.markup import (
    USER_ID_RE,
    References,
    SlackMarkup,
    escape_slack,
    references,
    safe_url,
)

NOBODY = References()


def markup_for(texts: Iterable[str | None], also: References = NOBODY) -> SlackMarkup:
    """A renderer that knows the names of every user and channel ``texts`` mention, and of
    those ``also`` lists.

    Two queries at most, however many texts and mentions.
    """
    refs = references(texts)
    return SlackMarkup(
        users=external_user_names(external_ids=refs.users | also.users),
        channels=channel_names(channel_ids=refs.channels | also.channels),
    )


def person(user: ExternalUser | None) -> str:
    return user.name if user else ""


# How each status looks: the colour family of its badge and of a list row's edge.
STATUS_TONE: dict[str, str] = {
    IncidentStatus.TRIAGE: "triage",
    IncidentStatus.INVESTIGATING: "live",
    IncidentStatus.FIXING: "live",
    IncidentStatus.MONITORING: "watch",
    IncidentStatus.RESOLVED: "resolved",
    IncidentStatus.DECLINED: "ended",
    IncidentStatus.MERGED: "ended",
    IncidentStatus.REPORTED: "reported",
}


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list."""

    incident: Incident
    title: str
    # Open follow-ups past their due date.
    overdue: int = 0

    @property
    def tone(self) -> str:
        return STATUS_TONE[self.incident.status]


def incident_rows(
    incidents: Sequence[Incident], overdue: dict[int, int] | None = None
) -> list[IncidentRow]:
    markup = markup_for(incident.title for incident in incidents)
    overdue = overdue or {}
    return [
        IncidentRow(incident=i, title=markup.plain(i.title), overdue=overdue.get(i.pk, 0))
        for i in incidents
    ]


@dataclass(frozen=True)
class ActionRow:
    id: int
    details: SafeString
    # The text as written (mrkdwn), for the exports, and as plain text for short mentions.
    details_source: str
    details_plain: str
    owner: str
    owner_id: int | None
    status: str
    status_label: str
    done: bool
    done_at: dt.datetime | None
    due_at: dt.datetime | None
    priority: str
    priority_value: int | None
    overdue: bool
    # Owner and due date, or won't do: what publishing a postmortem asks of it.
    triaged: bool


@dataclass(frozen=True)
class TimelineEditRow:
    what: str
    old: str
    new: str
    editor: str
    at: dt.datetime


@dataclass(frozen=True)
class TimelineRow:
    time: dt.datetime
    kind: str
    kind_label: str
    author: str
    text: SafeString
    permalink: str | None
    id: int = 0
    hidden: bool = False
    # The text as rendered (people named now), for exports.
    markup_source: str = ""
    edits: tuple[TimelineEditRow, ...] = ()


@dataclass(frozen=True)
class UpdateRow:
    """One shared update (SPEC §15), its texts rendered like every other text of the page."""

    time: dt.datetime
    author: str
    status_label: str
    next_update_due: dt.datetime | None
    # (label, rendered text) of each part the update has, in the modal's order.
    parts: tuple[tuple[str, SafeString], ...]


@dataclass(frozen=True)
class Participant:
    name: str
    message_count: int


@dataclass(frozen=True)
class HeldRole:
    label: str
    duty: str
    holder: str


@dataclass(frozen=True)
class MilestoneRow:
    kind: str
    label: str
    meaning: str
    time: dt.datetime | None
    set_by: str


@dataclass(frozen=True)
class NumberRow:
    label: str
    definition: str
    # The definition without its name, as "detected minus started" is printed.
    formula: str
    value: str
    # Why there is no value ("detected not set"); empty when there is one.
    missing: str


@dataclass(frozen=True)
class MergedInto:
    id: int
    title: str


@dataclass(frozen=True)
class IncidentDocument:
    incident: Incident
    title: str
    status_meaning: str
    merged_into: MergedInto | None
    roles: list[HeldRole]
    unheld_roles: list[str]
    milestones: list[MilestoneRow]
    numbers: list[NumberRow]
    # Why this incident is left out of the numbers ("a drill"); empty when it counts.
    not_counted: str
    summary: SafeString
    impact: SafeString
    comms_channel: str
    actions: list[ActionRow]
    timeline: Sequence[TimelineRow]
    participants: list[Participant]
    overdue_count: int = 0
    updates: list[UpdateRow] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    # The renderer that knows every name the texts above (and ``extra_texts``) mention.
    markup: SlackMarkup = field(default_factory=SlackMarkup, repr=False, compare=False)


def incident_document(
    *,
    incident: Incident,
    actions: Sequence[Action],
    timeline: Sequence[TimelineEvent],
    participants: Iterable,
    milestones: dict[str, Milestone],
    roles: Sequence[Role],
    merged_into: Incident | None = None,
    extra_texts: Sequence[str] = (),
    updates: Sequence[Update] = (),
    followers: Sequence[ExternalUser] = (),
    also_named: References = NOBODY,
) -> IncidentDocument:
    """Everything the incident page shows, rendered, from rows already read.

    ``milestones`` are the incident's by kind; ``roles`` every configured role, so the page can
    say which nobody holds; ``merged_into`` the incident it was merged into, if it was;
    ``extra_texts`` more texts the page will render with ``markup`` (a postmortem's sections);
    ``updates`` the updates shared, oldest first, and ``followers`` who follows the incident;
    ``also_named`` people and channels ``markup`` must know besides (a timeline rendered apart).
    """
    # Change entries name people as they were called then; as tokens they read as they are now.
    timeline_texts = [change_text(entry) for entry in timeline]
    target = merged_into
    markup = markup_for(
        [
            incident.title,
            target.title if target else None,
            incident.summary,
            incident.impact,
            *(action.details for action in actions),
            *timeline_texts,
            *extra_texts,
            *(text for update in updates for _, text in _update_parts(update)),
        ],
        also_named,
    )
    now = timezone.now()
    action_rows = [_action_row(action, markup, now) for action in actions]
    channel = getattr(incident, "comms_channel", None)
    return IncidentDocument(
        incident=incident,
        title=markup.plain(incident.title),
        status_meaning=STATUS_MEANING[incident.status],
        merged_into=MergedInto(id=target.pk, title=markup.plain(target.title)) if target else None,
        roles=[
            HeldRole(label=held.role.label, duty=held.role.duty, holder=person(held.holder))
            for held in incident.roles_held
        ],
        unheld_roles=_unheld_roles(incident, roles),
        milestones=[_milestone_row(kind, milestones.get(kind)) for kind in MilestoneKind],
        numbers=[_number_row(number, milestones) for number in NUMBERS],
        not_counted=not_counted_reason(incident),
        summary=_safe(markup.html(incident.summary)),
        impact=_safe(markup.html(incident.impact)),
        comms_channel=f"#{channel.name}" if channel else "",
        actions=action_rows,
        timeline=[
            _timeline_row(entry, text, markup)
            for entry, text in zip(timeline, timeline_texts, strict=True)
        ],
        participants=[
            Participant(name=person(stats.user), message_count=stats.message_count)
            for stats in participants
        ],
        overdue_count=sum(row.overdue for row in action_rows),
        markup=markup,
        updates=[_update_row(update, markup) for update in updates],
        followers=[person(user) for user in followers],
    )


def timeline_rows(entries: Sequence[TimelineEvent], markup: SlackMarkup) -> list[TimelineRow]:
    """The entries as the page shows them; ``markup`` must know the names they mention."""
    return [_timeline_row(entry, change_text(entry), markup) for entry in entries]


def timeline_references(entries: Sequence[TimelineEvent]) -> References:
    """Everyone and every channel the entries' rows name: the people and channels their texts
    mention, and their authors (by Slack id)."""
    mentioned = references(change_text(entry) for entry in entries)
    authors = {entry.author.external_id for entry in entries if entry.author}
    return References(users=mentioned.users | authors, channels=mentioned.channels)


def _update_parts(update: Update) -> list[tuple[str, str]]:
    parts = [
        ("Current impact", update.impact),
        ("What changed", update.what_changed),
        ("Next steps", update.next_steps),
    ]
    return [(label, text) for label, text in parts if text]


def _update_row(update: Update, markup: SlackMarkup) -> UpdateRow:
    return UpdateRow(
        time=update.created_at,
        author=person(update.author),
        status_label=IncidentStatus(update.status).label,
        next_update_due=update.next_update_due,
        parts=tuple((label, _safe(markup.html(text))) for label, text in _update_parts(update)),
    )


def _unheld_roles(incident: Incident, roles: Sequence[Role]) -> list[str]:
    held = {assignment.role_id for assignment in incident.roles_held}
    return [role.label for role in roles if role.pk not in held]


def _milestone_row(kind: MilestoneKind, milestone: Milestone | None) -> MilestoneRow:
    return MilestoneRow(
        kind=kind.value,
        label=kind.label,
        meaning=MILESTONE_MEANING[kind],
        time=milestone.time if milestone else None,
        set_by=person(milestone.set_by) if milestone else "",
    )


def _number_row(number: Number, milestones: dict[str, Milestone]) -> NumberRow:
    start, end = milestones.get(number.start), milestones.get(number.end)
    missing = [kind for kind, row in ((number.start, start), (number.end, end)) if row is None]
    shown = {
        "label": number.label,
        "definition": number.definition,
        "formula": f"{number.end} \N{MINUS SIGN} {number.start}",
    }
    if start is None or end is None:
        return NumberRow(**shown, value="—", missing=f"{' and '.join(missing)} not set")
    return NumberRow(**shown, value=format_duration(end.time - start.time), missing="")


# Why an incident never counts in the numbers (SPEC §14), by status.
_NOT_COUNTED_BECAUSE = {
    IncidentStatus.DECLINED: "it was declined (not an incident)",
    IncidentStatus.MERGED: "it was merged into another incident",
}


def not_counted_reason(incident: Incident) -> str:
    """Why ``incident`` is left out of the numbers, or "" when it counts."""
    if incident.drill:
        return "it is a drill"
    if incident.status in UNCOUNTED_STATUSES:
        return _NOT_COUNTED_BECAUSE[incident.status]
    return ""


def change_text(entry: TimelineEvent) -> str:
    """A change entry's text with each person in it as a ``<@U…|name>`` token.

    ``core.services`` writes "Incident lead changed from @old to @new" (the role's label; older
    entries say "Lead changed …", from the field's name) with the names known at the time, and a
    person Response had not seen yet is named by their id. Their ids are in the metadata, so the
    page can name them as Response knows them now (or by the name written then, if it still does
    not). Any text not written that way is left as it is.
    """
    metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
    field_name, old, new = metadata.get("field"), metadata.get("old"), metadata.get("new")
    if entry.kind != TimelineEventKind.INCIDENT_CHANGE or not isinstance(field_name, str):
        return entry.text
    if not (_is_person(old) or _is_person(new)):
        return entry.text
    label = metadata.get("label")
    if not isinstance(label, str):
        label = field_name.replace("_", " ").capitalize()
    if entry.text != f"{label} changed from {_as_written(old)} to {_as_written(new)}":
        return entry.text
    return f"{label} changed from {_as_token(old)} to {_as_token(new)}"


def _is_person(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("name"), str)
        and USER_ID_RE.fullmatch(value["id"]) is not None
    )


def _as_written(value: object) -> str:
    """How core.services described a value in the entry's text."""
    if value in (None, ""):
        return "(none)"
    return f"@{value['name']}" if _is_person(value) else str(value)


def _as_token(value: object) -> str:
    """The value as mrkdwn: a person as a mention token, anything else escaped as Slack would."""
    if _is_person(value):
        return f"<@{value['id']}|{escape_slack(value['name'])}>"
    return escape_slack(_as_written(value))


def _safe(html: str) -> SafeString:
    # Only output of SlackMarkup.html, which nh3 has cleaned, is marked safe.
    return mark_safe(html)  # noqa: S308


def _action_row(action: Action, markup: SlackMarkup, now: dt.datetime) -> ActionRow:
    return ActionRow(
        id=action.pk,
        details=_safe(markup.html(action.details)),
        details_source=action.details,
        details_plain=markup.plain(action.details),
        owner=person(action.owner),
        owner_id=action.owner_id,
        status=action.status,
        status_label=action.get_status_display(),
        done=action.done,
        done_at=action.done_at,
        due_at=action.due_at,
        priority=action.get_priority_display() if action.priority else "",
        priority_value=action.priority,
        overdue=action.is_overdue(now),
        triaged=action.triaged,
    )


def _timeline_row(entry: TimelineEvent, text: str, markup: SlackMarkup) -> TimelineRow:
    metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
    permalink = metadata.get("permalink")
    link = safe_url(permalink) if isinstance(permalink, str) else None
    return TimelineRow(
        id=entry.pk,
        hidden=entry.hidden,
        markup_source=text,
        edits=_edit_rows(entry),
        time=entry.time,
        kind=entry.kind,
        kind_label=TimelineEventKind(entry.kind).label
        if entry.kind in TimelineEventKind.values
        else entry.kind,
        author=person(entry.author),
        text=_safe(markup.html(text)),
        permalink=link if link and not link.lower().startswith("mailto:") else None,
    )


def _edit_rows(entry: TimelineEvent) -> tuple[TimelineEditRow, ...]:
    """The entry's history when it was read with it (``timeline_for_curation``), else none."""
    cache = getattr(entry, "_prefetched_objects_cache", {})
    if "edits" not in cache:
        return ()
    return tuple(
        TimelineEditRow(
            what=edit.get_kind_display(),
            old=edit.old_value,
            new=edit.new_value,
            editor=edit.editor_name or "someone",
            at=edit.edited_at,
        )
        for edit in cache["edits"]
    )
