"""The incident behind a click on one of the headline's (or a flow's) buttons."""

from __future__ import annotations

import logging

from core import selectors
from core.models import Incident
from slack.delivery.outbox import tell_user
from slack.flows.headline.blocks import incident_not_found
from slack.incoming.parsing import ActionContext

logger = logging.getLogger(__name__)


def incident_for_click(context: ActionContext) -> Incident | None:
    """The incident a headline button names, or None after telling the clicker it is gone."""
    incident = incident_from_button(context.value)
    if incident is None:
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=incident_not_found(context.value),
        )
    return incident


def incident_from_button(value: str) -> Incident | None:
    """The incident a headline button (its value) or a modal's metadata refers to."""
    try:
        return selectors.incident_get(incident_id=int(value))
    except (ValueError, Incident.DoesNotExist):
        logger.warning("no incident %r behind a button or modal", value)
        return None
