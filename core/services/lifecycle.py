"""Writes of the lifecycle (SPEC §14): status moves, roles, milestones.

Each function locks the incident row first, so two people changing the same incident at once are
applied one after the other (never half of each), checks the rules of ``core.lifecycle``, writes,
puts the change on the timeline with who and when, and sends its signal before the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import signals
from core.access import Permission, require
from core.exceptions import ApplicationError
from core.lifecycle.milestones import MilestoneKind, MilestoneOrderError, check_order
from core.lifecycle.statuses import (
    LIVE_STATUSES,
    IncidentStatus,
    StatusMoveRefused,
    check_move,
)
from core.models import (
    LEAD,
    ExternalUser,
    Incident,
    Milestone,
    Role,
    RoleAssignment,
    TimelineEvent,
    TimelineEventKind,
)

S = IncidentStatus
M = MilestoneKind

# Moving here ends the incident (resolved, or closed without resolving it): the ``resolve``
# permission's (SPEC §18).
ENDING_STATUSES = frozenset({S.RESOLVED, S.DECLINED, S.MERGED})

# Milestones the incident row also carries (see ``Incident``): kept equal in the same transaction.
MILESTONE_COLUMNS = {M.STARTED: "start_time", M.DECLARED: "report_time"}


class TransitionRefused(ApplicationError):
    """A status move the table does not allow; ``allowed`` lists the moves that are."""

    def __init__(self, refusal: StatusMoveRefused) -> None:
        super().__init__(refusal.message, extra={"allowed": list(refusal.allowed)})
        self.allowed = refusal.allowed


class MilestoneRefused(ApplicationError):
    pass


class UnknownRole(ApplicationError):
    def __init__(self, name: str) -> None:
        known = ", ".join(Role.objects.values_list("name", flat=True)) or "none configured"
        super().__init__(f"There is no role “{name}”. Roles: {known}.", extra={"roles": known})


@dataclass(frozen=True)
class RoleChange:
    role: Role
    old: ExternalUser | None
    new: ExternalUser | None


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _person(user: ExternalUser | None) -> dict | None:
    return {"id": user.external_id, "name": user.name} if user else None


def _record(
    incident: Incident,
    text: str,
    actor: ExternalUser | None,
    metadata: dict,
    time: dt.datetime | None = None,
) -> None:
    TimelineEvent.objects.create(
        incident=incident,
        kind=TimelineEventKind.INCIDENT_CHANGE,
        time=time or timezone.now(),
        text=text,
        author=actor,
        metadata=metadata,
    )


def copy_saved_fields(saved: Incident, incident: Incident, names: Iterable[str]) -> None:
    """Keep the caller's instance in step with what was saved through a locked copy."""
    if saved is not incident:
        for name in names:
            setattr(incident, name, getattr(saved, name))


# --- Milestones -------------------------------------------------------------------------------


def milestone_times(incident: Incident) -> dict[str, dt.datetime]:
    return dict(Milestone.objects.filter(incident=incident).values_list("kind", "time"))


def _write_milestone(
    locked: Incident,
    kind: str,
    time: dt.datetime | None,
    actor: ExternalUser | None,
    *,
    times: dict[str, dt.datetime],
    now: dt.datetime,
) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """Set (or, with ``time`` None, clear) a milestone; returns (old, new), None if unchanged."""
    old = times.get(kind)
    if old == time:
        return None
    if time is None:
        Milestone.objects.filter(incident=locked, kind=kind).delete()
        times.pop(kind, None)
    else:
        Milestone.objects.update_or_create(
            incident=locked, kind=kind, defaults={"time": time, "set_by": actor, "updated_at": now}
        )
        times[kind] = time
    if kind in MILESTONE_COLUMNS and time is not None:
        setattr(locked, MILESTONE_COLUMNS[kind], time)
    label = MilestoneKind(kind).label
    if time is None:
        text = f"{label} cleared (was {old:%Y-%m-%d %H:%M} UTC)"
    elif old is None:
        text = f"{label} set to {time:%Y-%m-%d %H:%M} UTC"
    else:
        text = f"{label} moved from {old:%Y-%m-%d %H:%M} UTC to {time:%Y-%m-%d %H:%M} UTC"
    _record(
        locked,
        text,
        actor,
        {
            "field": "milestone",
            "milestone": kind,
            "old": old.isoformat() if old else None,
            "new": time.isoformat() if time else None,
        },
        time=now,
    )
    return old, time


@transaction.atomic
def milestone_set(
    *,
    incident: Incident,
    kind: str,
    time: dt.datetime,
    actor: ExternalUser | None = None,
) -> dt.datetime | None:
    """Set a milestone (backdating allowed); returns the time it had before (None if unset).

    Refused with ``MilestoneRefused`` for an unknown milestone, a time in the future, a time that
    breaks the order of §14 (naming both milestones), or ``resolved`` on an incident that is not.
    """
    if kind not in M.values:
        raise MilestoneRefused(
            f"There is no milestone “{kind}”. Milestones: {', '.join(M.values)}."
        )
    now = timezone.now()
    if time > now + dt.timedelta(seconds=5):
        raise MilestoneRefused(f"{kind.capitalize()} cannot be in the future.")
    locked = _lock(incident)
    if kind == M.RESOLVED and locked.status != S.RESOLVED:
        raise MilestoneRefused(
            "Resolved is set by resolving the incident (@incident status resolved); "
            "it can be moved once the incident is resolved."
        )
    times = milestone_times(locked)
    proposed = {**times, kind: time}
    try:
        check_order(proposed, changed=kind)
    except MilestoneOrderError as error:
        raise MilestoneRefused(error.message) from error
    changed = _write_milestone(locked, kind, time, actor, times=times, now=now)
    if changed is None:
        return times.get(kind)
    if kind == M.RESOLVED:
        locked.end_time = time
    locked.save(update_fields=["start_time", "report_time", "end_time"])
    copy_saved_fields(locked, incident, ("start_time", "report_time", "end_time"))
    signals.incident_updated.send(
        sender=Incident, incident=incident, actor=actor, changes={f"milestone:{kind}": changed}
    )
    return changed[0]


def _acknowledge(
    locked: Incident, actor: ExternalUser | None, times: dict[str, dt.datetime], now: dt.datetime
) -> None:
    """The first lead or status change by a person acknowledges the incident (SPEC §14)."""
    if actor is None or M.ACKNOWLEDGED in times:
        return
    declared = times.get(M.DECLARED, locked.report_time)
    _write_milestone(locked, M.ACKNOWLEDGED, max(now, declared), actor, times=times, now=now)


def milestones_at_declaration(incident: Incident, actor: ExternalUser | None) -> None:
    """The automatic milestones of a new incident: started and declared (and resolved, for a
    report of something already over)."""
    rows = [
        Milestone(incident=incident, kind=M.STARTED, time=incident.start_time, set_by=actor),
        Milestone(incident=incident, kind=M.DECLARED, time=incident.report_time, set_by=actor),
    ]
    if incident.end_time is not None:
        rows.append(
            Milestone(incident=incident, kind=M.RESOLVED, time=incident.end_time, set_by=actor)
        )
    # No audit entries: these copy the new incident's times, recorded with its creation.
    Milestone.objects.bulk_create(rows)


# --- Status -----------------------------------------------------------------------------------


@transaction.atomic
def incident_status_set(
    *,
    incident: Incident,
    status: str,
    actor: ExternalUser | None = None,
    reason: str = "",
    merged_into: Incident | None = None,
) -> str:
    """Move an incident to ``status`` by the table of §14; returns the status it had.

    Entering ``monitoring`` sets ``mitigated`` unless already set; entering ``resolved`` sets
    ``resolved`` and the end time; leaving ``resolved`` (a reopen, with a reason) clears them and
    keeps the old end time on the timeline; ``declined`` and ``merged`` end the incident without
    resolving it, and a merge says so on the target's timeline too.
    Raises ``TransitionRefused`` naming the allowed moves.
    """
    if status not in S.values:
        raise TransitionRefused(
            StatusMoveRefused(
                f"There is no status “{status}”. Statuses: {', '.join(S.values)}.", allowed=()
            )
        )
    if status in ENDING_STATUSES:
        require(Permission.RESOLVE)
    locked = _lock(incident)
    old = locked.status
    try:
        check_move(old, status, reason=reason, merged_into_given=merged_into is not None)
        if merged_into is not None and status == S.MERGED:
            _check_merge_target(locked, merged_into)
    except StatusMoveRefused as refusal:
        raise TransitionRefused(refusal) from refusal
    now = timezone.now()
    times = milestone_times(locked)
    previous_end = locked.end_time
    locked.status = status
    _STATUS_EFFECTS[status](locked, actor, times, now, reason)
    if status == S.MERGED:
        locked.merged_into = merged_into
    _acknowledge(locked, actor, times, now)
    locked.save(update_fields=["status", "end_time", "merged_into"])
    _record_status(locked, old, status, actor, reason, previous_end, merged_into)
    copy_saved_fields(locked, incident, ("status", "end_time", "merged_into"))
    signals.incident_updated.send(
        sender=Incident, incident=incident, actor=actor, changes={"status": (old, status)}
    )
    if status == S.RESOLVED:
        signals.incident_closed.send(sender=Incident, incident=incident, actor=actor)
    return old


def _check_merge_target(locked: Incident, target: Incident) -> None:
    if target.pk == locked.pk:
        raise StatusMoveRefused("An incident cannot be merged into itself.", allowed=())
    if target.status in (S.MERGED, S.DECLINED):
        raise StatusMoveRefused(
            f"Incident {target.pk} is {target.status}: merge into the incident that is tracked.",
            allowed=(),
        )


def _enter_working(locked, actor, times, now, reason) -> None:
    if locked.end_time is not None:  # a reopen: the end time goes, the timeline keeps it
        locked.end_time = None
        _write_milestone(locked, M.RESOLVED, None, actor, times=times, now=now)


def _enter_monitoring(locked, actor, times, now, reason) -> None:
    _enter_working(locked, actor, times, now, reason)
    if M.MITIGATED not in times:
        _write_milestone(locked, M.MITIGATED, now, actor, times=times, now=now)


def _enter_resolved(locked, actor, times, now, reason) -> None:
    end = max(now, locked.start_time)
    locked.end_time = end
    _write_milestone(locked, M.RESOLVED, end, actor, times=times, now=now)


def _enter_ended(locked, actor, times, now, reason) -> None:
    locked.end_time = max(now, locked.start_time)


_STATUS_EFFECTS = {
    S.TRIAGE: _enter_working,
    S.INVESTIGATING: _enter_working,
    S.FIXING: _enter_working,
    S.MONITORING: _enter_monitoring,
    S.RESOLVED: _enter_resolved,
    S.DECLINED: _enter_ended,
    S.MERGED: _enter_ended,
    S.REPORTED: _enter_ended,
}


def _record_status(
    locked: Incident,
    old: str,
    new: str,
    actor: ExternalUser | None,
    reason: str,
    previous_end: dt.datetime | None,
    merged_into: Incident | None,
) -> None:
    metadata = {"field": "status", "old": old, "new": new}
    text = f"Status changed from {old} to {new}"
    if old == S.RESOLVED and new in LIVE_STATUSES:
        text = f"Reopened ({new}): {reason.strip()}"
        metadata |= {"reason": reason.strip(), "previous_end_time": previous_end.isoformat()}
    elif new == S.MERGED and merged_into is not None:
        text = f"Merged into incident {merged_into.pk}: {merged_into.title}"
        metadata |= {"merged_into": merged_into.pk}
        _record(
            merged_into,
            f"Incident {locked.pk} ({locked.title}) was merged into this one",
            actor,
            {"field": "merged_from", "incident": locked.pk},
        )
    elif reason.strip():
        text += f": {reason.strip()}"
        metadata |= {"reason": reason.strip()}
    _record(locked, text, actor, metadata)


# --- Roles ------------------------------------------------------------------------------------


def role_named(name: str) -> Role:
    """The role with this name (case-insensitive); raises ``UnknownRole``."""
    role = Role.objects.filter(name__iexact=name.strip()).first()
    if role is None:
        raise UnknownRole(name.strip())
    return role


@transaction.atomic
def role_assign(
    *,
    incident: Incident,
    role: Role | str,
    holder: ExternalUser | None,
    actor: ExternalUser | None = None,
) -> RoleChange | None:
    """Give ``role`` to ``holder`` (None: nobody holds it); returns the change, None if none.

    One holder per role per incident: the incident row is locked first, so two people setting
    the same role at once are applied in turn and the later one wins, both on the timeline.
    A person changing the lead acknowledges the incident.
    """
    role = role if isinstance(role, Role) else role_named(role)
    locked = _lock(incident)
    current = (
        RoleAssignment.objects.select_related("holder").filter(incident=locked, role=role).first()
    )
    old = current.holder if current else None
    if old == holder:
        return None
    now = timezone.now()
    if holder is None:
        current.delete()
    else:
        RoleAssignment.objects.update_or_create(
            incident=locked,
            role=role,
            defaults={"holder": holder, "assigned_at": now, "assigned_by": actor},
        )
    if role.name == LEAD:
        _acknowledge(locked, actor, milestone_times(locked), now)
    old_text = f"@{old.name}" if old else "(none)"
    new_text = f"@{holder.name}" if holder else "(none)"
    _record(
        locked,
        f"{role.label} changed from {old_text} to {new_text}",
        actor,
        {
            "field": role.name,
            "role": role.name,
            "label": role.label,
            "old": _person(old),
            "new": _person(holder),
        },
        time=now,
    )
    change = RoleChange(role=role, old=old, new=holder)
    incident.forget_roles()
    signals.incident_updated.send(
        sender=Incident,
        incident=incident,
        actor=actor,
        changes={f"role:{role.name}": (old, holder)},
    )
    signals.role_assigned.send(sender=Incident, incident=incident, actor=actor, change=change)
    return change


def roles_at_declaration(
    incident: Incident, lead: ExternalUser | None, actor: ExternalUser | None
) -> None:
    """The lead named when declaring holds the lead role from the start (no timeline entry).

    Like any new holder they are told the role's duty: ``role_assigned`` is sent here too.
    """
    if lead is None:
        return
    role = Role.objects.filter(name=LEAD).first()
    if role is None:
        raise UnknownRole(LEAD)
    RoleAssignment.objects.create(
        incident=incident,
        role=role,
        holder=lead,
        assigned_at=incident.report_time,
        assigned_by=actor,
    )
    signals.role_assigned.send(
        sender=Incident,
        incident=incident,
        actor=actor,
        change=RoleChange(role=role, old=None, new=lead),
    )
