"""``@incident update|follow|unfollow|catchup``, the Share update / Follow / Unfollow buttons, the
update modal, and the catch-up for whoever joins the comms channel (SPEC §15).

A mention brings no trigger id, and a modal needs one: ``@incident update`` answers with a
message holding the **Share update** button, which opens the modal (as the headline's and the
reminders' buttons do). The submission is checked in the request, so a refusal (nothing filled
in, a resolved incident, a status the incident cannot take) shows inside the modal.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from core import selectors
from core.models import Incident
from core.services import (
    TransitionRefused,
    UpdateRefused,
    incident_follow,
    incident_unfollow,
    update_refusal_for_status,
    update_share,
)
from slack.block_kit import modal_errors, read_metadata
from slack.delivery.outbox import tell_user
from slack.flows.commands.replies import Reply, bot
from slack.flows.headline.buttons import (
    clicker_may_see,
    incident_for_click,
    incident_from_button,
)
from slack.flows.updates import blocks, ids
from slack.flows.updates.jobs import send_catch_up
from slack.incoming.parsing import ActionContext, ViewContext
from slack.registry import (
    action_handler,
    event_handler,
    headline_button,
    incident_command,
    view_handler,
)
from slack.users import user_for
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError

logger = logging.getLogger(__name__)


# --- Commands ---------------------------------------------------------------------------------


@incident_command(["update"], helptext="Share an update: status, impact, what changed, next steps")
def share_update(incident: Incident, user_id: str, message: str) -> Reply:
    refusal = update_refusal_for_status(incident)
    if refusal:
        return False, blocks.refused(refusal)
    incident.comms_channel.post_in_channel(*blocks.share_prompt(incident))
    return True, None


@incident_command(["follow"], helptext="Get each update and the resolution by DM")
def follow_incident(incident: Incident, user_id: str, message: str) -> Reply:
    created = incident_follow(incident=incident, user=user_for(user_id))
    return True, blocks.follow_reply(incident, created=created, bot=bot())


@incident_command(["unfollow"], helptext="Stop getting this incident's updates by DM")
def unfollow_incident(incident: Incident, user_id: str, message: str) -> Reply:
    removed = incident_unfollow(incident=incident, user=user_for(user_id))
    return True, blocks.unfollow_reply(incident, removed=removed)


@incident_command(
    ["catchup", "catch-up"],
    helptext="Catch up: status, roles, the latest update, milestones, timeline, follow-ups "
    "(only you see it)",
)
def catch_up(incident: Incident, user_id: str, message: str) -> Reply:
    send_catch_up.defer(
        incident_id=incident.pk, channel_id=incident.comms_channel.channel_id, user_id=user_id
    )
    return True, None


@event_handler("member_joined_channel")
def catch_up_on_join(incident: Incident, event: dict[str, Any]) -> None:
    """Whoever joins the comms channel gets the catch-up (the job leaves out the bot itself)."""
    user_id, channel_id = event.get("user"), event.get("channel")
    if user_id and isinstance(channel_id, str):
        send_catch_up.defer(incident_id=incident.pk, channel_id=channel_id, user_id=user_id)


# --- Buttons ----------------------------------------------------------------------------------


@headline_button()
def share_update_on_headline(incident: Incident) -> dict:
    return blocks.share_update_button(incident)


@headline_button()
def follow_on_headline(incident: Incident) -> dict:
    return blocks.follow_button(incident)


@headline_button()
def unfollow_on_headline(incident: Incident) -> dict:
    return blocks.unfollow_button(incident)


@action_handler(ids.SHARE_UPDATE, runs="request", atomic=False)
def open_update_modal(context: ActionContext) -> None:
    """Open the update modal while the click's trigger id is valid (in the request)."""
    incident = incident_for_click(context)
    if incident is None:
        return
    refusal = update_refusal_for_status(incident)
    if refusal:
        _tell(context, blocks.refused(refusal))
        return
    view = blocks.update_modal(incident, interval=selectors.update_interval_for(incident=incident))
    try:
        get_slack_client(in_request=True).open_view(trigger_id=context.trigger_id, view=view)
    except SlackError as error:
        logger.warning("could not open the update modal of incident %s: %s", incident.pk, error)
        _tell(context, blocks.refused(f"Slack did not open the form (`{error.code}`)."))


@action_handler(ids.FOLLOW)
def follow_clicked(context: ActionContext) -> None:
    incident = incident_for_click(context)
    if incident is not None:
        created = incident_follow(incident=incident, user=user_for(context.user_id))
        _tell(context, blocks.follow_reply(incident, created=created, bot=bot()))


@action_handler(ids.UNFOLLOW)
def unfollow_clicked(context: ActionContext) -> None:
    incident = incident_for_click(context)
    if incident is not None:
        removed = incident_unfollow(incident=incident, user=user_for(context.user_id))
        _tell(context, blocks.unfollow_reply(incident, removed=removed))


def _tell(context: ActionContext, text: str) -> None:
    tell_user.defer(channel_id=context.channel_id, user_id=context.user_id, text=text)


# --- The modal --------------------------------------------------------------------------------


@view_handler(ids.UPDATE_MODAL)
def submit_update(context: ViewContext) -> dict[str, Any] | None:
    """Record the update; its posts, DMs and the headline follow as jobs of the same commit."""
    if context.type != "view_submission":
        return None
    incident = incident_from_button(str(read_metadata(context.private_metadata).get("incident_id")))
    if incident is not None and not clicker_may_see(incident, context.user_id):
        incident = None  # a modal forged to name a private incident the person is not in
    if incident is None:
        return modal_errors({ids.WHAT_CHANGED: "This incident no longer exists."})
    values = context.values
    try:
        with transaction.atomic():
            update_share(
                incident=incident,
                author=user_for(context.user_id),
                status=values.get(ids.STATUS) or None,
                impact=values.get(ids.IMPACT) or "",
                what_changed=values.get(ids.WHAT_CHANGED) or "",
                next_steps=values.get(ids.NEXT_STEPS) or "",
                next_update_in=blocks.read_next_update_in(values.get(ids.NEXT_UPDATE_IN)),
            )
    except UpdateRefused as refusal:
        field = {"status": ids.STATUS}.get(refusal.field, ids.WHAT_CHANGED)
        return modal_errors({field: refusal.message})
    except TransitionRefused as refusal:
        return modal_errors({ids.STATUS: refusal.message})
    return None
