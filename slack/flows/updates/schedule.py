"""When an incident's next update is due (SPEC §15), worked out the same way everywhere.

The promised time of the latest update wins; without one, the severity's interval counted from
the latest update, or from the declaration when none was shared yet. A second reminder follows
one more interval later: the severity's, or the one the update promised.

``slack.flows.updates.services`` does the same in SQL for the sweep; ``tests/slack/
test_update_cadence.py`` holds the two to the same answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import selectors
from core.models import Incident, Update


@dataclass(frozen=True)
class UpdateTimes:
    """The latest update's time (None before the first) and when the next is due (None: never)."""

    last_at: dt.datetime | None
    next_due: dt.datetime | None


def next_due(
    incident: Incident, latest: Update | None, interval: dt.timedelta | None
) -> dt.datetime | None:
    if latest is not None and latest.next_update_due is not None:
        return latest.next_update_due
    if interval is None:
        return None
    return (latest.created_at if latest is not None else incident.report_time) + interval


def update_times(incident: Incident) -> UpdateTimes:
    """Both times of a stored incident (two queries); nothing is due once it is not live."""
    latest = selectors.latest_update(incident=incident)
    due = None
    if incident.is_live:
        due = next_due(incident, latest, selectors.update_interval_for(incident=incident))
    return UpdateTimes(last_at=latest.created_at if latest else None, next_due=due)
