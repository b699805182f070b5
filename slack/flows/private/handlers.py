"""Request access, and the lead's Approve / Deny (SPEC §18 "Private incidents").

Each runs in the worker, atomic: the decision and the jobs it promises (the invite, the DMs)
commit together. Only the lead (or, without one, the declarer) or someone granted
``declare_private`` may decide; anyone else's click, and a value that names no request, is
refused to the clicker alone and changes nothing. A request is decided once: a second click is
told how it was decided.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from core import services
from core.models import AccessRequest, Incident
from slack.block_kit import document_url
from slack.delivery.outbox import tell_user
from slack.flows.comms_channel.jobs import invite_people
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.private import blocks, ids
from slack.flows.private.jobs import send_access_request, show_access_decision, tell_by_dm
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler, event_handler
from slack.users import user_for

logger = logging.getLogger(__name__)


@action_handler(ids.REQUEST_ACCESS)
def request_access(context: ActionContext) -> None:
    """Ask the lead to let the clicker in (once: a second click says it is still waiting)."""
    incident = _private_incident(context.value)
    if incident is None:
        _tell(context, blocks.not_private(context.value))
        return
    asked = services.access_request_open(incident=incident, requester=user_for(context.user_id))
    if asked.already_in:
        _tell(context, blocks.already_in(incident.pk, _document(incident)))
    elif not asked.created:
        _tell(context, blocks.still_waiting(incident.pk))
    else:
        decider = incident.lead or incident.reporter
        if decider is not None:
            send_access_request.defer(request_id=asked.request.pk, decider_id=decider.external_id)
        _tell(context, blocks.asked_lead(incident.pk))


@action_handler(ids.APPROVE_ACCESS)
def approve_access(context: ActionContext) -> None:
    _decide(context, approve=True)


@action_handler(ids.DENY_ACCESS)
def deny_access(context: ActionContext) -> None:
    _decide(context, approve=False)


def _decide(context: ActionContext, *, approve: bool) -> None:
    try:
        request = services.access_request_decide(
            request_id=int(context.value), decider=user_for(context.user_id), approve=approve
        )
    except (ValueError, AccessRequest.DoesNotExist):
        logger.warning(
            "%s decided on a request %r that does not exist", context.user_id, context.value
        )
        _tell(context, blocks.no_such_request())
        return
    except services.AccessDecisionRefused as refusal:
        logger.warning("%s may not decide access request %s", context.user_id, context.value)
        _tell(context, blocks.refused(refusal.message))
        return
    except services.AccessAlreadyDecided as decided:
        _tell(context, blocks.already_decided(decided.message))
        return
    show_access_decision.defer(
        request_id=request.pk, channel_id=context.channel_id, ts=context.message_ts
    )
    incident_id, requester = request.incident_id, request.requester.external_id
    if not approve:
        tell_by_dm.defer(user_id=requester, text=blocks.denied(incident_id))
        return
    channel = CommsChannel.objects.filter(incident_id=incident_id).first()
    if channel is not None:
        invite_people.defer(channel_id=channel.channel_id, user_ids=[requester])
    tell_by_dm.defer(
        user_id=requester,
        text=blocks.approved(
            incident_id, _document(request.incident), channel.channel_id if channel else None
        ),
    )


# --- The private channel's members are who may see the incident --------------------------------


@event_handler("member_joined_channel")
def record_member_joined(incident: Incident, event: dict[str, Any]) -> None:
    user_id = event.get("user")
    if incident.private and user_id:
        services.incident_members_joined(incident=incident, users=[user_for(user_id)])


@event_handler("member_left_channel")
def record_member_left(incident: Incident, event: dict[str, Any]) -> None:
    user_id = event.get("user")
    if incident.private and user_id:
        services.incident_member_left(incident=incident, user=user_for(user_id))


# --- Helpers -----------------------------------------------------------------------------------


def _private_incident(value: str) -> Incident | None:
    """The private incident a Request access button names (its headline is public, so its
    existence is no secret), or None."""
    try:
        return Incident.objects.filter(pk=int(value), private=True).first()
    except ValueError:
        return None


def _document(incident: Incident) -> str:
    return document_url(incident.pk, settings.SITE_URL)


def _tell(context: ActionContext, text: str) -> None:
    tell_user.defer(channel_id=context.channel_id, user_id=context.user_id, text=text)
