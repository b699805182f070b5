"""The catch-up (SPEC §15): everything someone joining late needs, in one message for them alone.

Asked for with ``@incident catchup`` (or ``catch-up``), and sent to whoever joins the comms
channel (``member_joined_channel``). A retried delivery of that event is accepted once
(``slack.incoming.dedup``), so the joiner gets one catch-up.
"""

from __future__ import annotations

from django.conf import settings

from core import selectors, services
from slack.block_kit import document_url
from slack.flows.updates import blocks
from slack.flows.updates.schedule import next_due


def catch_up_text(incident_id: int) -> str | None:
    """The catch-up of the incident as it is now (a constant number of queries), or None."""
    incident = selectors.incident_list().select_related("comms_channel").filter(pk=incident_id)
    incident = incident.first()
    if incident is None:
        return None
    latest = selectors.latest_update(incident=incident)
    due = None
    if incident.is_live:
        due = next_due(incident, latest, selectors.update_interval_for(incident=incident))
    recent = list(
        selectors.timeline_for_incident(incident=incident).order_by("-time", "-id")[
            : blocks.TIMELINE_ENTRIES
        ]
    )
    comms = getattr(incident, "comms_channel", None)
    return blocks.catch_up(
        blocks.CatchUp(
            incident=incident,
            document_url=document_url(incident.pk, settings.SITE_URL),
            channel_id=comms.channel_id if comms else None,
            latest=latest,
            next_due=due,
            milestones=services.milestone_times(incident),
            timeline=list(reversed(recent)),
            open_actions=selectors.open_actions_for_incident(incident=incident),
        )
    )
