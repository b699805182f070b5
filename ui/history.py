"""The "History" section of the incident page: the latest audit entries, display-ready.

Who, through what, what changed from → to, and when (the template shows the time in the viewer's
time zone, as the rest of the page). Values are shown as the log stored them, shortened. A record
created or deleted is named, not listed field by field; and a timeline entry's words are not
repeated here, where a hidden entry would come back onto the page (the admin and the API have them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field

from core.models import AuditAction, AuditEntry, ExternalUser
from core.selectors import external_user_names_by_pk

# The page shows this many entries; the full log is in the admin and at GET /core/audit/.
HISTORY_ROWS = 20
VALUE_CHARS = 80
NOTHING = "—"
# Fields whose values the page leaves out: "text edited", not the words.
UNSHOWN: frozenset[tuple[str, str]] = frozenset(
    {("core.TimelineEvent", "text"), ("core.TimelineEvent", "metadata")}
)


@dataclass(frozen=True)
class Change:
    field: str
    # Empty both: the field changed, its values are not shown.
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class HistoryRow:
    at: object
    who: str
    via: str
    what: str
    changes: list[Change]


def _record_name(object_type: str) -> str:
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except LookupError:
        return object_type


def _field(object_type: str, name: str) -> Field | None:
    try:
        return apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, FieldDoesNotExist):
        return None


def _is_slack_user(field: Field | None) -> bool:
    return field is not None and field.is_relation and field.related_model is ExternalUser


def _slack_user_pks(entries: Sequence[AuditEntry]) -> set[int]:
    """The Slack users the entries' changes name (by primary key), to name them in one query."""
    return {
        value
        for entry in entries
        if entry.action == AuditAction.CHANGED
        for name, *values in entry.changes
        if _is_slack_user(_field(entry.object_type, name))
        for value in values
        if isinstance(value, int)
    }


def _readable(field: Field | None, value: object, people: Mapping[int, str]) -> object:
    """A choice by its label, a Slack user by their name; anything else as it was stored."""
    if field is None or value is None:
        return value
    if _is_slack_user(field):
        return people.get(value, value)
    choices = dict(field.flatchoices) if field.choices else {}
    return choices.get(value, value)


def _shown(value: object) -> str:
    if value in (None, "", [], {}):
        return NOTHING
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= VALUE_CHARS else f"{text[: VALUE_CHARS - 1]}…"


def _changes(entry: AuditEntry, people: Mapping[int, str]) -> list[Change]:
    if entry.action != AuditAction.CHANGED:
        return []
    changes = []
    for name, old, new in entry.changes:
        label = name.replace("_", " ")
        if (entry.object_type, name) in UNSHOWN:
            changes.append(Change(field=label))
            continue
        field = _field(entry.object_type, name)
        changes.append(
            Change(
                field=label,
                before=_shown(_readable(field, old, people)),
                after=_shown(_readable(field, new, people)),
            )
        )
    return changes


def _what(entry: AuditEntry) -> str:
    what = f"{entry.get_action_display()} {_record_name(entry.object_type)}"
    if entry.action == AuditAction.CHANGED or entry.object_type == "core.Incident":
        return what
    return f"{what}: {_shown(entry.object_repr)}"


def history_rows(entries: Sequence[AuditEntry]) -> list[HistoryRow]:
    """The rows of ``entries``; one query at most, for the names of the Slack users they name."""
    people = external_user_names_by_pk(pks=_slack_user_pks(entries))
    return [
        HistoryRow(
            at=entry.at,
            who=entry.who,
            via=entry.get_via_display(),
            what=_what(entry),
            changes=_changes(entry, people),
        )
        for entry in entries
    ]
