"""Every write to the incident domain goes through these functions (SPEC §5).

Each service validates, writes inside a transaction, records incident changes on the timeline and
sends the matching ``core.signals`` signal before the transaction commits (see ``core.signals``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core import signals
from core.access import Permission, require
from core.audit import recorder as audit
from core.exceptions import ApplicationError, IncidentAlreadyClosed
from core.lifecycle.milestones import MilestoneKind
from core.lifecycle.statuses import IncidentStatus
from core.models import (
    LEAD,
    AccessReason,
    Action,
    ActionStatus,
    ExternalUser,
    Incident,
    Participation,
    Severity,
    TimelineEdit,
    TimelineEditKind,
    TimelineEvent,
    TimelineEventKind,
)
from core.services import access, lifecycle

# Incident fields that people change after declaring; each change is recorded on the timeline.
# ``lead`` is the lead role and ``start_time`` the started milestone: both are handed to the
# lifecycle services, which keep their own history.
UPDATABLE_FIELDS = ("title", "summary", "impact", "lead", "severity", "start_time")
TRACKED_FIELDS = ("title", "summary", "impact", "severity")


@transaction.atomic
def external_user_upsert(
    *,
    external_id: str,
    display_name: str = "",
    full_name: str = "",
    email: str = "",
    deleted: bool = False,
    refreshed_at: dt.datetime | None = None,
    time_zone: str = "",
) -> ExternalUser:
    """Create or refresh the cached copy of a Slack user."""
    user, _ = ExternalUser.objects.update_or_create(
        external_id=external_id,
        defaults={
            "display_name": display_name,
            "full_name": full_name,
            "email": email,
            "deleted": deleted,
            "refreshed_at": refreshed_at,
            "time_zone": time_zone,
        },
    )
    return user


@transaction.atomic
def external_user_get_or_create(*, external_id: str) -> ExternalUser:
    """The user with this Slack id, created empty (to be refreshed later) if unknown."""
    user, _ = ExternalUser.objects.get_or_create(external_id=external_id)
    return user


@transaction.atomic
def incident_declare(
    *,
    title: str,
    reporter: ExternalUser | None,
    summary: str = "",
    impact: str = "",
    lead: ExternalUser | None = None,
    severity: Severity | int | None = None,
    report_only: bool = False,
    report_time: dt.datetime | None = None,
    triage: bool = False,
    drill: bool = False,
    private: bool = False,
) -> Incident:
    """Record a new incident. Raises ``ValidationError`` for a bad title or severity.

    It starts ``investigating``, or ``triage`` when the declarer is not sure yet; a report of
    something already over is ``reported`` and closed from the start. A private one needs the
    ``declare_private`` permission (``PermissionRefused`` otherwise, before anything is written)
    and is visible to its declarer from the start.
    """
    if private:
        require(Permission.DECLARE_PRIVATE)
    now = report_time or timezone.now()
    if report_only:
        status = IncidentStatus.REPORTED
    else:
        status = IncidentStatus.TRIAGE if triage else IncidentStatus.INVESTIGATING
    incident = Incident(
        title=title.strip(),
        summary=summary.strip(),
        impact=impact.strip(),
        reporter=reporter,
        severity=severity,
        report_only=report_only,
        status=status,
        drill=drill,
        private=private,
        report_time=now,
        start_time=now,
        end_time=now if report_only else None,
    )
    incident.full_clean()
    incident.save()
    if private and reporter is not None:
        access.incident_access_grant(incident=incident, user=reporter, reason=AccessReason.DECLARER)
    lifecycle.milestones_at_declaration(incident, reporter)
    lifecycle.roles_at_declaration(incident, lead, reporter)
    signals.incident_declared.send(sender=Incident, incident=incident, actor=reporter)
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: ExternalUser | None = None, **fields: Any
) -> dict[str, tuple[Any, Any]]:
    """Change some of an incident's fields; returns the changes that really happened.

    Each change of a tracked field becomes an ``incident_change`` timeline entry. Nothing is
    written and no signal is sent when nothing changed.
    """
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    changes = _lifecycle_fields(incident, actor, fields)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        old = getattr(locked, name)
        if old != value:
            _require_for_change(name)
            changes[name] = (old, value)
            setattr(locked, name, value)
    own = [name for name in changes if name in TRACKED_FIELDS]
    if not own:
        return changes
    locked.full_clean()
    locked.save(update_fields=own)
    now = timezone.now()
    narrated = TimelineEvent.objects.bulk_create(
        [_change_entry(locked, name, *changes[name], actor, now) for name in own]
    )
    # ``bulk_create`` sends no signals; the audit table decides (narrating entries: no entry).
    audit.record_created(narrated)
    lifecycle.copy_saved_fields(locked, incident, own)
    signals.incident_updated.send(
        sender=Incident,
        incident=incident,
        actor=actor,
        changes={name: changes[name] for name in own},
    )
    return changes


# The fields whose change needs a permission (SPEC §18); checked against the locked row, so a
# refusal rolls back everything this call changed.
FIELD_PERMISSIONS = {"severity": Permission.CHANGE_SEVERITY}


def _require_for_change(name: str) -> None:
    if name in FIELD_PERMISSIONS:
        require(FIELD_PERMISSIONS[name])


def _lifecycle_fields(
    incident: Incident, actor: ExternalUser | None, fields: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Hand ``lead`` and ``start_time`` to the lifecycle services; returns what they changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    if "lead" in fields:
        change = lifecycle.role_assign(
            incident=incident, role=LEAD, holder=fields.pop("lead"), actor=actor
        )
        if change is not None:
            changes["lead"] = (change.old, change.new)
    if "start_time" in fields:
        new = fields.pop("start_time")
        old = lifecycle.milestone_set(
            incident=incident, kind=MilestoneKind.STARTED, time=new, actor=actor
        )
        if old != new:
            changes["start_time"] = (old, new)
    return changes


@transaction.atomic
def incident_close(*, incident: Incident, actor: ExternalUser | None = None) -> Incident:
    """Resolve a live incident (``@incident close``).

    Raises ``IncidentAlreadyClosed`` with the time it ended when it is no longer live, and
    ``TransitionRefused`` from triage (which is declined, not resolved).
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.end_time is not None:
        raise IncidentAlreadyClosed(locked.end_time)
    lifecycle.incident_status_set(incident=incident, status=IncidentStatus.RESOLVED, actor=actor)
    return incident


@transaction.atomic
def timeline_note_add(
    *, incident: Incident, text: str, author: ExternalUser | None, time: dt.datetime | None = None
) -> TimelineEvent:
    """Add a free-text note to the timeline."""
    entry = TimelineEvent(
        incident=incident,
        kind=TimelineEventKind.NOTE,
        text=text.strip(),
        author=author,
        time=time or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def action_create(*, incident: Incident, details: str, owner: ExternalUser | None = None) -> Action:
    """Log a follow-up action."""
    if not details.strip():
        raise ValidationError({"details": "Say what needs doing."})
    action = Action(incident=incident, details=details.strip(), owner=owner)
    action.full_clean()
    action.save()
    return action


def _change_entry(
    incident: Incident,
    name: str,
    old: Any,
    new: Any,
    actor: ExternalUser | None,
    now: dt.datetime,
) -> TimelineEvent:
    old_text, new_text = _describe(name, old), _describe(name, new)
    label = name.replace("_", " ")
    return TimelineEvent(
        incident=incident,
        kind=TimelineEventKind.INCIDENT_CHANGE,
        time=now,
        text=f"{label.capitalize()} changed from {old_text} to {new_text}",
        author=actor,
        metadata={"field": name, "old": _serialise(old), "new": _serialise(new)},
    )


def _describe(name: str, value: Any) -> str:
    if value in (None, ""):
        return "(none)"
    if isinstance(value, ExternalUser):
        return f"@{value.name}"
    if name == "severity":
        return Severity(value).label
    return str(value)


def _serialise(value: Any) -> Any:
    if isinstance(value, ExternalUser):
        return {"id": value.external_id, "name": value.name}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


@transaction.atomic
def timeline_source_upsert(
    *,
    incident: Incident,
    source_ref: str,
    kind: str,
    text: str,
    author: ExternalUser | None,
    time: dt.datetime,
    metadata: dict[str, Any],
) -> TimelineEvent:
    """Record the timeline entry of an outside source (a pinned message) once, or refresh it.

    Keyed on ``source_ref``, so the same source delivered twice (a re-pin, a retried event)
    stays one entry.
    """
    entry, created = TimelineEvent.objects.get_or_create(
        incident=incident,
        source_ref=source_ref,
        defaults={
            "kind": kind,
            "text": text,
            "author": author,
            "time": time,
            "metadata": metadata,
        },
    )
    if not created and (entry.text, entry.metadata) != (text, metadata):
        entry.text, entry.metadata = text, metadata
        entry.save(update_fields=["text", "metadata"])
    return entry


@transaction.atomic
def timeline_source_edit(*, incident: Incident, source_ref: str, text: str) -> bool:
    """Follow an edit of a source's text; False when no entry comes from that source."""
    entries = TimelineEvent.objects.filter(incident=incident, source_ref=source_ref).exclude(
        text=text
    )
    edited = list(entries.select_for_update())
    entries.filter(pk__in=[entry.pk for entry in edited]).update(text=text)
    # ``update`` sends no signals: the audit log hears of it here.
    audit.record_changed(edited, {"text": text})
    return bool(edited)


@transaction.atomic
def timeline_source_remove(*, incident: Incident, source_ref: str) -> bool:
    """Remove the entry of a source (an unpinned message); False when there was none."""
    deleted, _ = TimelineEvent.objects.filter(incident=incident, source_ref=source_ref).delete()
    return bool(deleted)


# --- Writes the REST API offers (SPEC §10) ------------------------------------------------------

ACTION_UPDATABLE_FIELDS = ("details", "owner", "status", "done", "priority", "due_at")


def _status_from_done(action: Action, done: bool) -> str:
    """The status the old ``done`` flag asks for: ticking is done, unticking reopens a done one
    (a won't-do one stays won't do)."""
    if done:
        return ActionStatus.DONE
    return ActionStatus.OPEN if action.status == ActionStatus.DONE else action.status


@transaction.atomic
def action_update(*, action: Action, **fields: Any) -> Action:
    """Change a follow-up action. Becoming done stamps ``done_at``; any other status clears it.

    ``done`` (a boolean) is still understood: true is ``status="done"``, false reopens it.
    Raises ``ValidationError`` for empty details, an unknown status or priority.
    """
    unknown = set(fields) - set(ACTION_UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    if "done" in fields:
        done = fields.pop("done")
        fields.setdefault("status", _status_from_done(action, bool(done)))
    changed: list[str] = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(action, name) != value:
            setattr(action, name, value)
            changed.append(name)
    if "status" in changed:
        action.done_at = timezone.now() if action.status == ActionStatus.DONE else None
        changed.append("done_at")
    if not changed:
        return action
    if not action.details:
        raise ValidationError({"details": "Say what needs doing."})
    action.full_clean()
    action.save(update_fields=changed)
    return action


@transaction.atomic
def action_log(
    *,
    incident: Incident,
    details: str,
    owner: ExternalUser | None = None,
    priority: int | None = None,
    due_at: dt.datetime | None = None,
    done: bool = False,
    status: str | None = None,
) -> Action:
    """Log a follow-up with everything the API can say about it at once.

    ``action_create`` is the short form that ``@incident action`` uses. A due date already past
    is accepted: the follow-up simply starts overdue.
    """
    action = action_create(incident=incident, details=details, owner=owner)
    if status is None and done:
        status = ActionStatus.DONE
    extra = {"priority": priority, "due_at": due_at, "status": status}
    return action_update(action=action, **{k: v for k, v in extra.items() if v is not None})


@transaction.atomic
def timeline_note_update(
    *, entry: TimelineEvent, text: str | None = None, time: dt.datetime | None = None
) -> TimelineEvent:
    """Edit a note's text or time.

    Only notes can be edited: pinned messages follow Slack, and incident changes are history.
    Raises ``ApplicationError`` for any other kind of entry.
    """
    if entry.kind != TimelineEventKind.NOTE:
        raise ApplicationError(
            "Only notes can be edited: pinned messages follow Slack and incident changes are "
            "a record of what happened."
        )
    changed: list[str] = []
    if text is not None and text.strip() != entry.text:
        entry.text = text.strip()
        changed.append("text")
    if time is not None and time != entry.time:
        entry.time = time
        changed.append("time")
    if changed:
        entry.full_clean()
        entry.save(update_fields=changed)
    return entry


# --- Timeline curation on the web (SPEC §16): nothing is deleted, every change is kept ----------

TIMELINE_TEXT_MAX_CHARS = 20_000


def _edit(
    entry: TimelineEvent,
    kind: TimelineEditKind,
    old: str,
    new: str,
    editor: AbstractBaseUser | None,
    now: dt.datetime,
) -> TimelineEdit:
    return TimelineEdit(
        entry=entry,
        kind=kind,
        old_value=old,
        new_value=new,
        editor=editor,
        editor_name=editor.get_username() if editor is not None else "",
        edited_at=now,
    )


def _check_timeline_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Say what happened."})
    if len(text) > TIMELINE_TEXT_MAX_CHARS:
        raise ValidationError(
            {"text": f"Keep a timeline entry under {TIMELINE_TEXT_MAX_CHARS:,} characters."}
        )
    return text


@transaction.atomic
def timeline_note_curate(
    *,
    incident: Incident,
    text: str,
    time: dt.datetime,
    author: ExternalUser | None,
    editor: AbstractBaseUser | None,
) -> TimelineEvent:
    """Add a note at ``time`` from the web; its first history row says who added it."""
    entry = timeline_note_add(
        incident=incident, text=_check_timeline_text(text), author=author, time=time
    )
    _edit(entry, TimelineEditKind.TEXT, "", entry.text, editor, timezone.now()).save()
    return entry


@transaction.atomic
def timeline_entry_edit(
    *,
    entry: TimelineEvent,
    editor: AbstractBaseUser | None,
    text: str | None = None,
    time: dt.datetime | None = None,
) -> TimelineEvent:
    """Correct an entry's text or time, keeping the old value in its history.

    Any entry may be corrected; a pinned message keeps its link to Slack (its metadata).
    """
    locked = TimelineEvent.objects.select_for_update().get(pk=entry.pk)
    now = timezone.now()
    edits: list[TimelineEdit] = []
    if text is not None:
        text = _check_timeline_text(text)
        if text != locked.text:
            edits.append(_edit(locked, TimelineEditKind.TEXT, locked.text, text, editor, now))
            locked.text = text
    if time is not None and time != locked.time:
        edits.append(
            _edit(
                locked,
                TimelineEditKind.TIME,
                locked.time.isoformat(),
                time.isoformat(),
                editor,
                now,
            )
        )
        locked.time = time
    if edits:
        locked.save(update_fields=["text", "time"])
        TimelineEdit.objects.bulk_create(edits)
    entry.text, entry.time = locked.text, locked.time
    return entry


@transaction.atomic
def timeline_entry_hide(
    *, entry: TimelineEvent, hidden: bool, editor: AbstractBaseUser | None
) -> TimelineEvent:
    """Leave an entry out of the curated timeline (``hidden``) or bring it back."""
    locked = TimelineEvent.objects.select_for_update().get(pk=entry.pk)
    if locked.hidden != hidden:
        locked.hidden = hidden
        locked.save(update_fields=["hidden"])
        kind = TimelineEditKind.HIDDEN if hidden else TimelineEditKind.SHOWN
        _edit(locked, kind, "", "", editor, timezone.now()).save()
    entry.hidden = locked.hidden
    return entry


def participation_record_message(*, incident: Incident, user: ExternalUser) -> None:
    """Count one message by ``user`` in the incident's channel.

    One statement (an upsert that adds one), not read-then-write: two messages handled at the
    same moment by two workers must both count (``tests/core/test_participation.py`` races two).
    """
    table = Participation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (incident_id, user_id, first_message_at, message_count)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (incident_id, user_id)
            DO UPDATE SET message_count = {table}.message_count + 1
            """,  # noqa: S608 (the table name is ours, not input)
            [incident.pk, user.pk, timezone.now()],
        )
