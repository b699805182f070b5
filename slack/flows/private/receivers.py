"""A private incident gets its private channel at once: its headline offers no button to make
one (whoever clicked it would be invited), so the flow asks for it when it is declared."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core import signals
from core.models import Incident
from slack.flows.comms_channel.jobs import request_comms_channel


@receiver(signals.incident_declared, dispatch_uid="slack.private_channel_on_declare")
def private_channel_on_declare(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    if incident.private and not incident.report_only:
        request_comms_channel(incident_id=incident.pk)
