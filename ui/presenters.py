"""Display-ready versions of incidents for the templates.

Templates get text already rendered (``SafeString`` only for what went through ``ui.markup``) and
names already chosen, so they hold no logic and trigger no query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.models import Action, ExternalUser, Incident, TimelineEvent, TimelineEventKind
from core.selectors import channel_names, external_user_names
from ui.markup import USER_ID_RE, SlackMarkup, escape_slack, references, safe_url


def markup_for(texts: Iterable[str | None]) -> SlackMarkup:
    """A renderer that knows the names of every user and channel ``texts`` mention.

    Two queries at most, however many texts and mentions.
    """
    refs = references(texts)
    return SlackMarkup(
        users=external_user_names(external_ids=refs.users),
        channels=channel_names(channel_ids=refs.channels),
    )


def person(user: ExternalUser | None) -> str:
    return user.name if user else ""


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list."""

    incident: Incident
    title: str

    @property
    def status(self) -> str:
        return self.incident.status.value


def incident_rows(incidents: Sequence[Incident]) -> list[IncidentRow]:
    markup = markup_for(incident.title for incident in incidents)
    return [IncidentRow(incident=i, title=markup.plain(i.title)) for i in incidents]


@dataclass(frozen=True)
class ActionRow:
    id: int
    details: SafeString
    owner: str
    done: bool
    done_at: dt.datetime | None
    due_at: dt.datetime | None
    priority: str
    overdue: bool


@dataclass(frozen=True)
class TimelineRow:
    time: dt.datetime
    kind: str
    kind_label: str
    author: str
    text: SafeString
    permalink: str | None


@dataclass(frozen=True)
class Participant:
    name: str
    message_count: int


@dataclass(frozen=True)
class IncidentDocument:
    incident: Incident
    title: str
    summary: SafeString
    impact: SafeString
    comms_channel: str
    actions: list[ActionRow]
    timeline: list[TimelineRow]
    participants: list[Participant]


def incident_document(
    *,
    incident: Incident,
    actions: Sequence[Action],
    timeline: Sequence[TimelineEvent],
    participants: Iterable,
) -> IncidentDocument:
    """Everything the incident page shows, rendered, from rows already read."""
    # Change entries name people as they were called then; as tokens they read as they are now.
    timeline_texts = [change_text(entry) for entry in timeline]
    markup = markup_for(
        [
            incident.title,
            incident.summary,
            incident.impact,
            *(action.details for action in actions),
            *timeline_texts,
        ]
    )
    now = timezone.now()
    channel = getattr(incident, "comms_channel", None)
    return IncidentDocument(
        incident=incident,
        title=markup.plain(incident.title),
        summary=_safe(markup.html(incident.summary)),
        impact=_safe(markup.html(incident.impact)),
        comms_channel=f"#{channel.name}" if channel else "",
        actions=[_action_row(action, markup, now) for action in actions],
        timeline=[
            _timeline_row(entry, text, markup)
            for entry, text in zip(timeline, timeline_texts, strict=True)
        ],
        participants=[
            Participant(name=person(stats.user), message_count=stats.message_count)
            for stats in participants
        ],
    )


def change_text(entry: TimelineEvent) -> str:
    """A change entry's text with each person in it as a ``<@U…|name>`` token.

    ``core.services`` writes "Lead changed from @old to @new" with the names known at the time, and
    a person Response had not seen yet is named by their id. Their ids are in the metadata, so the
    page can name them as Response knows them now (or by the name written then, if it still does
    not). Any text not written that way is left as it is.
    """
    metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
    field_name, old, new = metadata.get("field"), metadata.get("old"), metadata.get("new")
    if entry.kind != TimelineEventKind.INCIDENT_CHANGE or not isinstance(field_name, str):
        return entry.text
    if not (_is_person(old) or _is_person(new)):
        return entry.text
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
        owner=person(action.owner),
        done=action.done,
        done_at=action.done_at,
        due_at=action.due_at,
        priority=action.get_priority_display() if action.priority else "",
        overdue=bool(action.due_at and not action.done and action.due_at < now),
    )


def _timeline_row(entry: TimelineEvent, text: str, markup: SlackMarkup) -> TimelineRow:
    metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
    permalink = metadata.get("permalink")
    link = safe_url(permalink) if isinstance(permalink, str) else None
    return TimelineRow(
        time=entry.time,
        kind=entry.kind,
        kind_label=TimelineEventKind(entry.kind).label
        if entry.kind in TimelineEventKind.values
        else entry.kind,
        author=person(entry.author),
        text=_safe(markup.html(text)),
        permalink=link if link and not link.lower().startswith("mailto:") else None,
    )
