"""Reactions of the Slack side to ``core.signals``: they defer Slack work as jobs, inside the
transaction that made the change (see ``core.signals``).

Whatever path changed the incident (a modal, a button, ``@incident``, the API, the admin), Slack
shows it the same way, because it is all hung here rather than on any one handler.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from core import signals
from core.models import ExternalUser, Incident
from slack.blocks import messages
from slack.comms import invite_people
from slack.handlers.close import ask_for_report
from slack.headline import schedule_headline_post, schedule_headline_update
from slack.models import CommsChannel


@receiver(signals.incident_declared, dispatch_uid="slack.headline_on_declare")
def post_headline_on_declare(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    schedule_headline_post(incident.pk)


@receiver(signals.incident_updated, dispatch_uid="slack.headline_on_update")
def update_headline_on_change(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    schedule_headline_update(incident.pk)


@receiver(signals.incident_updated, dispatch_uid="slack.invite_new_lead")
def invite_new_lead(
    sender: Any, *, incident: Incident, changes: dict[str, Any], **kwargs: Any
) -> None:
    """A new lead is brought into the comms channel, however they were named."""
    if "lead" not in changes or incident.lead is None:
        return
    comms_channel = CommsChannel.objects.filter(incident=incident).first()
    if comms_channel is not None:
        invite_people.defer(
            channel_id=comms_channel.channel_id, user_ids=[incident.lead.external_id]
        )


@receiver(signals.incident_closed, dispatch_uid="slack.announce_close")
def announce_close(
    sender: Any, *, incident: Incident, actor: ExternalUser | None = None, **kwargs: Any
) -> None:
    """Headline resolved, the comms channel told, the lead (or reporter) asked for the report."""
    schedule_headline_update(incident.pk)
    comms_channel = CommsChannel.objects.filter(incident=incident).first()
    if comms_channel is not None:
        comms_channel.post_in_channel(
            messages.closing_notice(
                incident=incident,
                closed_by=actor.external_id if actor else None,
                site_url=settings.SITE_URL,
            )
        )
    if incident.lead_id or incident.reporter_id:
        ask_for_report.defer(incident_id=incident.pk)
