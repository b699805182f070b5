"""Milestones (SPEC §14) and the order they must keep.

``ORDER`` is a table of (earlier, later) pairs; ``check_order`` refuses a set of times that breaks
any pair, naming both milestones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import models


class MilestoneKind(models.TextChoices):
    STARTED = "started", "Started"
    DETECTED = "detected", "Detected"
    DECLARED = "declared", "Declared"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"

    @classmethod
    def parse(cls, text: str) -> MilestoneKind | None:
        cleaned = text.strip().lower()
        return next((member for member in cls if cleaned == member.value), None)


M = MilestoneKind

MILESTONE_MEANING: dict[str, str] = {
    M.STARTED: "impact began (the incident's start)",
    M.DETECTED: "someone or something noticed",
    M.DECLARED: "the incident was reported (set by Response)",
    M.ACKNOWLEDGED: "a person took it on (first lead or status change)",
    M.MITIGATED: "the impact stopped (set on entering monitoring)",
    M.RESOLVED: "it was over (set on resolving)",
}

# started ≤ detected ≤ declared ≤ acknowledged; started ≤ mitigated ≤ resolved.
ORDER: tuple[tuple[str, str], ...] = (
    (M.STARTED, M.DETECTED),
    (M.DETECTED, M.DECLARED),
    (M.STARTED, M.DECLARED),
    (M.DECLARED, M.ACKNOWLEDGED),
    (M.STARTED, M.ACKNOWLEDGED),
    (M.STARTED, M.MITIGATED),
    (M.MITIGATED, M.RESOLVED),
    (M.STARTED, M.RESOLVED),
)


class MilestoneOrderError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_order(times: Mapping[str, dt.datetime | None], *, changed: str) -> None:
    """Raise ``MilestoneOrderError`` when the milestone ``changed`` breaks a pair of ``ORDER``."""
    for earlier, later in ORDER:
        if changed not in (earlier, later):
            continue
        first, second = times.get(earlier), times.get(later)
        if first is not None and second is not None and first > second:
            raise MilestoneOrderError(
                f"Milestone {earlier} ({first:%Y-%m-%d %H:%M} UTC) must not be after "
                f"{later} ({second:%Y-%m-%d %H:%M} UTC)."
            )
