"""Sending the overdue DM and redrawing it after a click: the Slack side, in jobs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from core import selectors
from core.models import Action, ActionStatus
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.flows.postmortem.blocks import OverdueItem, overdue_dm
from slack.flows.postmortem.models import OverdueDigest
from slack.flows.postmortem.services import overdue_digest_lists
from slack.web_api.client import get_slack_client

logger = logging.getLogger(__name__)


def _item(action: Action) -> OverdueItem:
    return OverdueItem(
        action_id=action.pk,
        details=action.details,
        incident_id=action.incident_id,
        incident_title=action.incident.title,
        due_at=action.due_at,
        priority=action.get_priority_display() if action.priority else "",
        settled="" if action.status == ActionStatus.OPEN else action.get_status_display(),
    )


@job("slack.send_overdue_dm")
def send_overdue_dm(digest_id: int) -> None:
    """DM the owner what is overdue now; nothing when it was all done since the sweep."""
    digest = OverdueDigest.objects.select_related("owner").filter(pk=digest_id).first()
    if digest is None:
        return
    actions = list(selectors.overdue_follow_ups(now=timezone.now(), owner=digest.owner))
    if not actions:
        logger.info("overdue DM %s: nothing is overdue any more", digest_id)
        return
    overdue_digest_lists(digest=digest, actions=actions)
    text, blocks = overdue_dm(
        digest_id=digest.pk, items=[_item(a) for a in actions], site_url=settings.SITE_URL
    )
    channel = get_slack_client().open_dm(users=digest.owner.external_id)
    post_once(channel=channel, text=text, blocks=blocks)


@job("slack.redraw_overdue_dm")
def redraw_overdue_dm(digest_id: int, channel_id: str, ts: str) -> None:
    """Show each listed follow-up as it is now: a done one loses its button."""
    digest = OverdueDigest.objects.filter(pk=digest_id).first()
    if digest is None:
        return
    actions = selectors.follow_ups_by_id(ids=digest.action_ids)
    text, blocks = overdue_dm(
        digest_id=digest.pk, items=[_item(a) for a in actions], site_url=settings.SITE_URL
    )
    get_slack_client().update_message(channel=channel_id, ts=ts, text=text, blocks=blocks)
