"""The status moves of SPEC §14 as one table.

``MOVES`` lists, for each status, where an incident may go next. ``check_move`` is the only place
that reads it; every refusal names the moves that are allowed, so a person (or an API client) can
correct themselves without reading the docs.
"""

from __future__ import annotations

from django.db import models


class IncidentStatus(models.TextChoices):
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    FIXING = "fixing", "Fixing"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    DECLINED = "declined", "Declined"
    MERGED = "merged", "Merged"
    REPORTED = "reported", "Reported"

    @classmethod
    def parse(cls, text: str) -> IncidentStatus | None:
        """A status as people type it (``Fixing``, ``fixing``); None when it names none."""
        cleaned = text.strip().lower()
        return next(
            (member for member in cls if cleaned in (member.value, member.label.lower())), None
        )


S = IncidentStatus

STATUS_EMOJI: dict[str, str] = {
    S.TRIAGE: "🔍",
    S.INVESTIGATING: "🔥",
    S.FIXING: "🛠️",
    S.MONITORING: "👀",
    S.RESOLVED: "💧",
    S.DECLINED: "🚫",
    S.MERGED: "🔗",
    S.REPORTED: "📓",
}

STATUS_MEANING: dict[str, str] = {
    S.TRIAGE: "not sure yet whether it is an incident",
    S.INVESTIGATING: "looking for the cause",
    S.FIXING: "the cause is known and a fix is under way",
    S.MONITORING: "a fix is in; watching that it holds",
    S.RESOLVED: "over",
    S.DECLINED: "it was not an incident",
    S.MERGED: "tracked in another incident",
    S.REPORTED: "reported after it was over",
}

# While an incident is in one of these it is open: its channel is live and reminders run.
LIVE_STATUSES = frozenset({S.TRIAGE, S.INVESTIGATING, S.FIXING, S.MONITORING})
# These never count in the numbers (SPEC §14).
UNCOUNTED_STATUSES = frozenset({S.DECLINED, S.MERGED})

_WORKING = (S.INVESTIGATING, S.FIXING, S.MONITORING)

MOVES: dict[str, tuple[str, ...]] = {
    S.TRIAGE: (S.INVESTIGATING, S.DECLINED, S.MERGED),
    S.INVESTIGATING: (S.FIXING, S.MONITORING, S.RESOLVED, S.MERGED),
    S.FIXING: (S.INVESTIGATING, S.MONITORING, S.RESOLVED, S.MERGED),
    S.MONITORING: (S.INVESTIGATING, S.FIXING, S.RESOLVED, S.MERGED),
    S.RESOLVED: (S.INVESTIGATING,),
    S.DECLINED: (),
    S.MERGED: (),
    S.REPORTED: (),
}

# Moves that need a reason, and what the reason is called in a refusal.
NEEDS_REASON: dict[tuple[str, str], str] = {(S.RESOLVED, S.INVESTIGATING): "reopen"}


class StatusMoveRefused(Exception):
    """A move the table does not allow; ``message`` names what is allowed instead."""

    def __init__(self, message: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed


def allowed_moves(status: str) -> tuple[str, ...]:
    return MOVES.get(status, ())


def describe_allowed(status: str) -> str:
    allowed = allowed_moves(status)
    if not allowed:
        return f"{status} is final: it cannot change."
    return f"From {status} it can go to {', '.join(allowed)}."


def check_move(old: str, new: str, *, reason: str = "", merged_into_given: bool = False) -> None:
    """Raise ``StatusMoveRefused`` unless ``old`` → ``new`` is allowed with what was given."""
    allowed = allowed_moves(old)
    if old == new:
        raise StatusMoveRefused(f"It is already {new}. {describe_allowed(old)}", allowed=allowed)
    if new not in allowed:
        raise StatusMoveRefused(
            f"It cannot go from {old} to {new}. {describe_allowed(old)}", allowed=allowed
        )
    if (old, new) in NEEDS_REASON and not reason.strip():
        raise StatusMoveRefused(
            f"Going from {old} to {new} is a {NEEDS_REASON[old, new]}: give a reason.",
            allowed=allowed,
        )
    if new == S.MERGED and not merged_into_given:
        raise StatusMoveRefused("Say which incident it is merged into.", allowed=allowed)
