"""The "History" section of the incident page: the latest audit entries, display-ready.

Who, through what, what changed from → to, and when (the template shows the time in the viewer's
time zone, as the rest of the page). Values are shown as the log stored them, shortened. A record
created or deleted is named, not listed field by field; and a timeline entry's words are not
repeated here, where a hidden entry would come back onto the page (the admin and the API have them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps

from core.models import AuditAction, AuditEntry

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


def _shown(value: object) -> str:
    if value in (None, "", [], {}):
        return NOTHING
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= VALUE_CHARS else f"{text[: VALUE_CHARS - 1]}…"


def _changes(entry: AuditEntry) -> list[Change]:
    if entry.action != AuditAction.CHANGED:
        return []
    return [
        Change(field=name.replace("_", " "))
        if (entry.object_type, name) in UNSHOWN
        else Change(field=name.replace("_", " "), before=_shown(old), after=_shown(new))
        for name, old, new in entry.changes
    ]


def _what(entry: AuditEntry) -> str:
    what = f"{entry.get_action_display()} {_record_name(entry.object_type)}"
    if entry.action == AuditAction.CHANGED or entry.object_type == "core.Incident":
        return what
    return f"{what}: {_shown(entry.object_repr)}"


def history_rows(entries: Sequence[AuditEntry]) -> list[HistoryRow]:
    return [
        HistoryRow(
            at=entry.at,
            who=entry.who,
            via=entry.get_via_display(),
            what=_what(entry),
            changes=_changes(entry),
        )
        for entry in entries
    ]
