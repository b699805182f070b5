"""A new role holder is brought in (SPEC §14): invited to the comms channel, sent the duty by DM.

Hung off ``core.signals.role_assigned``, so it happens however the role was given (``@incident
role``, ``@incident lead``, the edit modal, the API, the admin). The receiver runs in the writing
transaction and only defers jobs, which commit with the change: one change, one invite, one DM.
A retried DM job does not DM twice: ``post_once`` finds the earlier attempt's message by its key.
The invite is harmless to repeat (being in already counts as invited).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from core import signals
from core.models import Incident, Role
from core.services import RoleChange
from slack.block_kit import document_url
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.flows.comms_channel.jobs import invite_people
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.lifecycle.blocks import duty_dm
from slack.web_api.client import get_slack_client


@receiver(signals.role_assigned, dispatch_uid="slack.bring_in_role_holder")
def bring_in_role_holder(
    sender: Any, *, incident: Incident, change: RoleChange, **kwargs: Any
) -> None:
    holder = change.new
    if holder is None or not holder.external_id or holder.deleted:
        return
    comms = CommsChannel.objects.filter(incident=incident).first()
    if comms is not None:
        invite_people.defer(channel_id=comms.channel_id, user_ids=[holder.external_id])
    send_role_duty.defer(
        incident_id=incident.pk, role_name=change.role.name, holder_id=holder.external_id
    )


@job("slack.send_role_duty")
def send_role_duty(incident_id: int, role_name: str, holder_id: str) -> None:
    """DM the holder what the role is there to do, and where the work happens."""
    incident = Incident.objects.filter(pk=incident_id).first()
    role = Role.objects.filter(name=role_name).first()
    if incident is None or role is None:
        return
    comms = CommsChannel.objects.filter(incident=incident).first()
    text = duty_dm(
        incident=incident,
        role=role,
        document_url=document_url(incident.pk, settings.SITE_URL),
        channel_id=comms.channel_id if comms else None,
    )
    post_once(channel=get_slack_client().open_dm(users=holder_id), text=text)
