"""The four numbers teams judge their practice by (SPEC §14), each the time between two milestones.

Only incidents that have both milestones count; drills, declined and merged incidents never do.
The insights page prints ``definition`` next to each figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.lifecycle.milestones import MilestoneKind as M


@dataclass(frozen=True)
class Number:
    name: str
    label: str
    start: str
    end: str

    @property
    def definition(self) -> str:
        return f"{self.label} = {self.end} \N{MINUS SIGN} {self.start}"


NUMBERS: tuple[Number, ...] = (
    Number("time_to_detect", "Time to detect", M.STARTED, M.DETECTED),
    Number("time_to_acknowledge", "Time to acknowledge", M.DECLARED, M.ACKNOWLEDGED),
    Number("time_to_mitigate", "Time to mitigate", M.STARTED, M.MITIGATED),
    Number("time_to_resolve", "Time to resolve", M.STARTED, M.RESOLVED),
)
