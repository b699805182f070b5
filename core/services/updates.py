"""Writes of updates and followers (SPEC §15).

``update_share`` locks the incident first, so an update and a status move (or a resolution)
made at the same moment are applied one after the other: an update is never recorded for an
incident that was resolved under it. It puts an ``update`` entry on the timeline and sends
``core.signals.update_shared`` before the commit, so what the update promises (posts, DMs, the
headline) commits with it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core import signals
from core.exceptions import ApplicationError
from core.lifecycle.statuses import LIVE_STATUSES, IncidentStatus
from core.models import (
    ExternalUser,
    Follower,
    Incident,
    TimelineEvent,
    TimelineEventKind,
    Update,
)
from core.services.lifecycle import incident_status_set

# What an update must say at least one of, in the order the modal asks.
UPDATE_TEXTS = ("impact", "what_changed", "next_steps")


class UpdateRefused(ApplicationError):
    """An update the domain will not record; ``field`` names what to fix, when one field can."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message, extra={"field": field})
        self.field = field


def update_refusal_for_status(incident: Incident) -> str | None:
    """Why ``incident`` takes no update in its status, or None when it does."""
    if incident.status in LIVE_STATUSES:
        return None
    status = IncidentStatus(incident.status)
    if status == IncidentStatus.RESOLVED:
        return (
            f"Incident {incident.pk} is resolved, so there is nothing left to update. "
            "Reopen it first if it is not over."
        )
    return (
        f"Incident {incident.pk} is {status.label.lower()}: updates are only shared while an "
        "incident is being worked on."
    )


@transaction.atomic
def update_share(
    *,
    incident: Incident,
    author: ExternalUser | None,
    impact: str = "",
    what_changed: str = "",
    next_steps: str = "",
    status: str | None = None,
    next_update_in: dt.timedelta | None = None,
) -> Update:
    """Record an update; a different ``status`` moves the incident there first.

    Raises ``UpdateRefused`` for an incident that is not live (the reason says why) or an update
    that says nothing, and ``TransitionRefused`` for a status the incident cannot move to.
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    refusal = update_refusal_for_status(locked)
    if refusal:
        raise UpdateRefused(refusal)
    texts = {"impact": impact, "what_changed": what_changed, "next_steps": next_steps}
    texts = {name: (text or "").strip() for name, text in texts.items()}
    if not any(texts.values()):
        raise UpdateRefused(
            "Say something: the current impact, what changed, or the next steps.",
            field="what_changed",
        )
    if status and status != locked.status:
        if status not in LIVE_STATUSES:
            raise UpdateRefused(
                "An update keeps the incident open: resolve it with the Close button or "
                "`status resolved` instead.",
                field="status",
            )
        incident_status_set(incident=incident, status=status, actor=author)
        locked.status = status
    now = timezone.now()
    update = Update(
        incident=locked,
        author=author,
        status=locked.status,
        next_update_due=now + next_update_in if next_update_in else None,
        created_at=now,
        **texts,
    )
    update.full_clean()
    update.save()
    TimelineEvent.objects.create(
        incident=locked,
        kind=TimelineEventKind.UPDATE,
        time=now,
        text=update_timeline_text(update),
        author=author,
        metadata={
            "update_id": update.pk,
            "status": update.status,
            "next_update_due": update.next_update_due.isoformat()
            if update.next_update_due
            else None,
        },
    )
    signals.update_shared.send(sender=Update, incident=locked, update=update, actor=author)
    return update


def update_timeline_text(update: Update) -> str:
    """The update as one timeline entry: each part it has, on a line of its own."""
    parts = [
        ("Impact", update.impact),
        ("What changed", update.what_changed),
        ("Next steps", update.next_steps),
    ]
    lines = [f"Update shared ({IncidentStatus(update.status).label})"]
    lines += [f"{label}: {text}" for label, text in parts if text]
    return "\n".join(lines)


@transaction.atomic
def incident_follow(*, incident: Incident, user: ExternalUser) -> bool:
    """``user`` gets each update and the resolution by DM; False if they already followed.

    Safe against two follows at once: the unique constraint keeps one row.
    """
    _, created = Follower.objects.get_or_create(incident=incident, user=user)
    return created


@transaction.atomic
def incident_unfollow(*, incident: Incident, user: ExternalUser) -> bool:
    """``user`` no longer gets updates by DM; False if they were not following."""
    removed, _ = Follower.objects.filter(incident=incident, user=user).delete()
    return removed > 0
