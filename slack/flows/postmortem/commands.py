"""``@incident postmortem``: where the postmortem is, and what it still needs (SPEC §16).

Runs inside its mention's transaction, like every command: reads only, no Slack call.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from core import selectors
from core.models import Incident
from slack.flows.commands.replies import Reply
from slack.flows.postmortem import blocks
from slack.registry import incident_command


@incident_command(
    ["postmortem"], helptext="Link the postmortem, with its state and the follow-ups it waits on"
)
def link_postmortem(incident: Incident, user_id: str, message: str) -> Reply:
    actions = list(selectors.actions_for_incident(incident=incident))
    now = timezone.now()
    return True, blocks.postmortem_link(
        incident_id=incident.pk,
        status=selectors.postmortem_status(incident=incident),
        untriaged=sum(not action.triaged for action in actions),
        overdue=sum(action.is_overdue(now) for action in actions),
        site_url=settings.SITE_URL,
    )
