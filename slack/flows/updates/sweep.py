"""The cadence reminder sweep (SPEC §15), run by ``/slack/cron_minute`` beside the reminder sweep.

When an update is due (promised, or the severity's interval since the last one) the comms
channel gets one reminder mentioning the comms role holder, or the lead, with a **Share update**
button; still nothing after another interval, one more that also mentions the lead. Resolving
the incident stops them.

Exactly once per due time, from any number of replicas at once: each reminder is claimed by
inserting its ledger row under a unique (incident, due time, stage) constraint, in the
transaction that defers its post (``services.update_reminders_claim``). A racing sweep waits
for that transaction and then claims nothing it claimed; a rolled-back sweep claims nothing.
A constant number of queries, whatever the number of incidents.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import selectors
from core.models import LEAD, Incident
from slack.delivery import outbox
from slack.flows.updates import blocks
from slack.flows.updates.models import UpdateReminder
from slack.flows.updates.services import update_reminders_claim

logger = logging.getLogger(__name__)

COMMS_ROLE = "comms"


@dataclass
class UpdateSweepSummary:
    claimed: int = 0
    deferred: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(*, now: dt.datetime | None = None) -> UpdateSweepSummary:
    """Post every due update reminder once; safe to run from any number of replicas at once."""
    now = now or timezone.now()
    summary = UpdateSweepSummary()
    with transaction.atomic():
        claims = update_reminders_claim(now=now, cadence=selectors.update_cadence_minutes())
        summary.claimed = len(claims)
        if not claims:
            return summary
        incidents = {
            incident.pk: incident
            for incident in selectors.incident_list()
            .select_related("comms_channel")
            .filter(pk__in={incident_id for incident_id, _, _ in claims})
        }
        posts = [
            reminder_post(incidents[incident_id], due_at, stage)
            for incident_id, due_at, stage in _latest_stage_only(claims)
        ]
        outbox.defer_posts(posts)
        summary.deferred = len(posts)
    logger.info("update reminder sweep: %s", summary.as_dict())
    return summary


def _latest_stage_only(
    claims: list[tuple[int, dt.datetime, int]],
) -> list[tuple[int, dt.datetime, int]]:
    """One reminder per incident: after a pause of the sweeps, both stages may fall due at once,
    and the second says everything the first would."""
    latest: dict[int, tuple[int, dt.datetime, int]] = {}
    for claim in sorted(claims, key=lambda claim: (claim[0], claim[2])):
        latest[claim[0]] = claim
    return list(latest.values())


def mentioned_for(incident: Incident, stage: int) -> list[str]:
    """Who a reminder calls on: the comms role holder, else the lead; the second, the lead too."""
    comms, lead = incident.holder_of(COMMS_ROLE), incident.holder_of(LEAD)
    people = [comms or lead]
    if stage == UpdateReminder.LEAD_TOO:
        people.append(lead)
    return [person.external_id for person in people if person is not None]


def reminder_post(incident: Incident, due_at: dt.datetime, stage: int) -> dict[str, Any]:
    text, reminder_blocks = blocks.reminder(
        incident,
        due_at=due_at,
        mentioned=mentioned_for(incident, stage),
        second=stage == UpdateReminder.LEAD_TOO,
    )
    return {
        "channel_id": incident.comms_channel.channel_id,
        "text": text,
        "blocks": reminder_blocks,
    }
