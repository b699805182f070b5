"""Every write of the comms channel flow's own state (``CommsChannel``)."""

from __future__ import annotations

from django.utils import timezone

from core.models import Incident
from slack.flows.comms_channel.models import CommsChannel


def comms_channel_record(*, incident: Incident, channel_id: str, name: str) -> CommsChannel:
    """Remember the Slack channel made for ``incident``. Call it holding the incident's row lock
    (``jobs._record`` does), which is what keeps it to one channel per incident."""
    return CommsChannel.objects.create(
        incident=incident, channel_id=channel_id, name=name, created_at=timezone.now()
    )


def comms_channel_name_record(*, channel_id: str, name: str) -> bool:
    """Keep the stored name in step with Slack; False when the channel is not an incident's."""
    return bool(
        CommsChannel.objects.filter(channel_id=channel_id).exclude(name=name).update(name=name)
    )
