"""What people see once an incident is resolved, however it was resolved (the Close button,
``@incident close``, ``@incident status resolved``, the Status menu, the API, the admin): the
comms channel is told, and the lead (or the reporter) is asked for the report. The headline's
own update is the headline flow's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from core import signals
from core.models import ExternalUser, Incident
from slack.flows.close.blocks import closing_notice
from slack.flows.close.handlers import ask_for_report
from slack.flows.comms_channel.models import CommsChannel


@receiver(signals.incident_closed, dispatch_uid="slack.announce_close")
def announce_close(
    sender: Any, *, incident: Incident, actor: ExternalUser | None = None, **kwargs: Any
) -> None:
    comms_channel = CommsChannel.objects.filter(incident=incident).first()
    if comms_channel is not None:
        comms_channel.post_in_channel(
            closing_notice(
                incident=incident,
                closed_by=actor.external_id if actor else None,
                site_url=settings.SITE_URL,
            )
        )
    if incident.lead is not None or incident.reporter_id:
        ask_for_report.defer(incident_id=incident.pk)
