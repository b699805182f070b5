"""The private incident flow's Slack work, each a job deferred in the transaction that decided
it: the lead's DM, the decision shown in it, and the requester told."""

from __future__ import annotations

import logging

from core.models import AccessRequest
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.flows.private import blocks
from slack.web_api.client import get_slack_client
from slack.web_api.errors import logged_if_lasting

logger = logging.getLogger(__name__)


def _request(request_id: int) -> AccessRequest | None:
    request = (
        AccessRequest.objects.select_related("incident", "requester", "decided_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        logger.warning("access request %s is gone", request_id)
    return request


@job("slack.send_access_request")
def send_access_request(request_id: int, decider_id: str) -> None:
    """Ask the lead (``decider_id``), by DM, to approve or deny the request."""
    request = _request(request_id)
    if request is None:
        return
    post_once(
        channel=get_slack_client().open_dm(users=decider_id),
        **blocks.as_kwargs(blocks.access_request_dm(request)),
    )


@job("slack.show_access_decision")
def show_access_decision(request_id: int, channel_id: str, ts: str) -> None:
    """Replace the lead's Approve / Deny buttons with the decision (repeating is harmless)."""
    request = _request(request_id)
    if request is None or not (channel_id and ts):
        return
    with logged_if_lasting(f"show the decision on access request {request_id}", logger):
        get_slack_client().update_message(
            channel=channel_id, ts=ts, **blocks.as_kwargs(blocks.decided_dm(request))
        )


@job("slack.tell_by_dm")
def tell_by_dm(user_id: str, text: str) -> None:
    """A DM to one person: the requester, told how the lead decided."""
    post_once(channel=get_slack_client().open_dm(users=user_id), text=text)
