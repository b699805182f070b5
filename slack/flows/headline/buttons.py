"""The incident behind a click on one of the headline's (or a flow's) buttons."""

from __future__ import annotations

import logging

from core import selectors
from core.access import Acting, may_see
from core.models import Incident
from slack.delivery.outbox import tell_user
from slack.flows.headline.blocks import incident_not_found
from slack.incoming.parsing import ActionContext
from slack.users import user_for

logger = logging.getLogger(__name__)


def incident_for_click(context: ActionContext) -> Incident | None:
    """The incident a button names, or None after telling the clicker it is gone.

    A private incident the clicker may not see is gone too, in the same words: a forged value
    must not tell an outsider that it exists, nor let them act on it.
    """
    incident = incident_from_button(context.value)
    if incident is not None and not clicker_may_see(incident, context.user_id):
        logger.warning("%s clicked on private incident %s", context.user_id, incident.pk)
        incident = None
    if incident is None:
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=incident_not_found(context.value),
        )
    return incident


def clicker_may_see(incident: Incident, user_id: str) -> bool:
    """Whether the Slack user ``user_id`` may see ``incident`` (no query unless private)."""
    return not incident.private or may_see(incident, Acting.for_slack_user(user_for(user_id)))


def incident_from_button(value: str) -> Incident | None:
    """The incident a headline button (its value) or a modal's metadata refers to."""
    try:
        return selectors.incident_get(incident_id=int(value))
    except (ValueError, Incident.DoesNotExist):
        logger.warning("no incident %r behind a button or modal", value)
        return None
