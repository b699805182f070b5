"""The "Create comms channel" button of the headline post (SPEC §6.4).

Runs in the worker. It only promises the channel: ``jobs.py`` beside it creates it in a job that
holds the incident's channel lock, so any number of clicks, on any number of workers, make one
channel.
"""

from __future__ import annotations

import logging

from core.models import Incident
from slack.flows.comms_channel import jobs as comms
from slack.flows.headline import ids
from slack.flows.headline.buttons import clicker_may_see
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler

logger = logging.getLogger(__name__)


@action_handler(ids.CREATE_COMMS_CHANNEL)
def create_comms_channel(context: ActionContext) -> None:
    try:
        incident_id = int(context.value)
    except ValueError:
        logger.warning("create comms channel clicked with a bad incident id %r", context.value)
        return
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is not None and not clicker_may_see(incident, context.user_id):
        # Whoever asks is invited: never an outsider into a private incident's channel.
        logger.warning("%s asked for private incident %s's channel", context.user_id, incident_id)
        return
    comms.request_comms_channel(
        incident_id=incident_id, requested_by=context.user_id, reply_channel=context.channel_id
    )
