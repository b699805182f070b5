"""The comms channel follows the incident: a new lead is brought in, however they were named."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core import signals
from core.models import Incident
from slack.flows.comms_channel.jobs import invite_people
from slack.flows.comms_channel.models import CommsChannel


@receiver(signals.incident_updated, dispatch_uid="slack.invite_new_lead")
def invite_new_lead(
    sender: Any, *, incident: Incident, changes: dict[str, Any], **kwargs: Any
) -> None:
    if "lead" not in changes or incident.lead is None:
        return
    comms_channel = CommsChannel.objects.filter(incident=incident).first()
    if comms_channel is not None:
        invite_people.defer(
            channel_id=comms_channel.channel_id, user_ids=[incident.lead.external_id]
        )
