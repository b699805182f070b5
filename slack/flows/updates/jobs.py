"""Posting a shared update: under the headline, and to each follower by DM; the resolution DM.

Each post is its own job, deferred in the transaction that recorded the update, and posts at most
once: a retried job first looks for the message its earlier attempt may have posted (by the
job's key in the message metadata, ``slack.delivery.idempotency``). The comms channel's copy is
an ordinary ``outbox`` post, which does the same.
"""

from __future__ import annotations

import logging
from itertools import islice

from django.conf import settings

from core import selectors
from core.models import Incident, Update
from slack.block_kit import document_url
from slack.delivery.idempotency import MAX_MESSAGES_READ, key_of, metadata, post_once
from slack.delivery.jobs import job, running_job
from slack.delivery.outbox import send_ephemeral_or_dm
from slack.flows.headline.models import HeadlinePost
from slack.flows.updates import blocks
from slack.flows.updates.catchup import catch_up_text
from slack.web_api.client import get_slack_client
from slack.web_api.errors import logged_if_lasting
from slack.web_api.workspace import bot_user_id

logger = logging.getLogger(__name__)


class HeadlineNotPostedYet(Exception):
    """The reply waits for the headline (retried with backoff like any failed job)."""


def _incident_and_update(incident_id: int, update_id: int) -> tuple[Incident, Update] | None:
    incident = selectors.incident_list().filter(pk=incident_id).first()
    update = Update.objects.select_related("author").filter(pk=update_id).first()
    if incident is None or update is None:
        logger.warning("update %s of incident %s is gone; not posted", update_id, incident_id)
        return None
    return incident, update


@job("slack.post_update_in_headline_thread")
def post_update_in_headline_thread(incident_id: int, update_id: int) -> None:
    """The update as a reply under the incident's headline in the central channel."""
    found = _incident_and_update(incident_id, update_id)
    if found is None or found[0].private:  # never a private incident's news in public
        return
    headline = HeadlinePost.objects.filter(incident_id=incident_id).exclude(ts="").first()
    if headline is None:
        raise HeadlineNotPostedYet(f"incident {incident_id} has no headline post yet")
    text, update_blocks = blocks.update_message(
        *found, document_url=document_url(incident_id, settings.SITE_URL)
    )
    running = running_job()
    key = running.key if running else None
    if key and running.may_have_run_before and _already_replied(headline, key):
        logger.info("%s is already under headline %s: not again", key, headline.ts)
        return
    get_slack_client().post_message(
        channel=headline.channel_id,
        text=text,
        blocks=update_blocks,
        thread_ts=headline.ts,
        metadata=metadata(key) if key else None,
    )


def _already_replied(headline: HeadlinePost, key: str) -> bool:
    """Whether the headline's thread holds a reply posted for ``key``. A channel's history
    leaves thread replies out, so the thread itself is read. A lookup Slack refuses for good
    finds nothing (posting twice is better than not posting); one that may pass later raises,
    so the job tries again."""
    with logged_if_lasting(f"look for {key} under headline {headline.ts}", logger):
        replies = get_slack_client().iter_replies(channel=headline.channel_id, ts=headline.ts)
        return any(key_of(message) == key for message in islice(replies, MAX_MESSAGES_READ))
    return False


@job("slack.send_update_to_follower")
def send_update_to_follower(incident_id: int, update_id: int, user_id: str) -> None:
    """The update by DM to one follower, with an Unfollow button."""
    found = _incident_and_update(incident_id, update_id)
    if found is None:
        return
    text, update_blocks = blocks.update_message(
        *found, document_url=document_url(incident_id, settings.SITE_URL), for_follower=True
    )
    post_once(channel=get_slack_client().open_dm(users=user_id), text=text, blocks=update_blocks)


@job("slack.send_resolution_to_follower")
def send_resolution_to_follower(incident_id: int, user_id: str) -> None:
    """Tell one follower the incident they follow is resolved."""
    incident = selectors.incident_list().filter(pk=incident_id).first()
    if incident is None:
        return
    text = blocks.resolution_dm(incident, document_url=document_url(incident_id, settings.SITE_URL))
    post_once(channel=get_slack_client().open_dm(users=user_id), text=text)


@job("slack.send_catch_up")
def send_catch_up(incident_id: int, channel_id: str, user_id: str) -> None:
    """The catch-up, shown to one person only, where they asked or joined.

    The bot's own join (it creates the channel) gets none. An ephemeral message leaves nothing
    in the channel's history to look for, so this is the job's last step: a retry can only
    follow an attempt that did not reach it or whose answer was lost.
    """
    if user_id == bot_user_id():
        return
    text = catch_up_text(incident_id)
    if text is not None:
        send_ephemeral_or_dm(channel_id, user_id, text)
