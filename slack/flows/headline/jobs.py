"""The headline post's jobs: posting it, keeping it up to date, and thanking the reporter.

Every job of one incident's headline shares the procrastinate ``lock`` ``headline-<id>``, so they
run one at a time and in the order they were deferred: the first post always runs before any
update, and two workers can never send an older rendering after a newer one.

Updates are coalesced with a ``queueing_lock``: however many changes happen before the worker
gets to it, one update job is waiting, and it renders the incident as it is when it runs.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from procrastinate.exceptions import AlreadyEnqueued

from core import selectors
from core.models import Incident
from slack import registry
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import HEADLINE_PRIORITY, job
from slack.delivery.outbox import send_ephemeral_or_dm
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline.blocks import headline_blocks, thanks
from slack.flows.headline.models import HeadlinePost
from slack.flows.headline.services import headline_post_record
from slack.flows.updates.schedule import update_times
from slack.web_api.client import get_slack_client
from slack.web_api.errors import TRANSIENT_ERRORS, SlackError
from slack.web_api.workspace import central_channel_id

logger = logging.getLogger(__name__)

# A headline update Slack could not take is tried again up to this many times, waiting longer
# each time (as long as Slack asked, when it did).
UPDATE_ATTEMPTS = 8
UPDATE_RETRY_SECONDS = 10


def _lock(incident_id: int) -> str:
    return f"headline-{incident_id}"


# --- What the receivers and other flows call (inside their transaction) ------------------------


def schedule_headline_post(incident_id: int) -> None:
    """Promise the first headline post of a new incident."""
    post_headline.configure(lock=_lock(incident_id)).defer(incident_id=incident_id)


def schedule_headline_update(incident_id: int) -> None:
    """Promise to re-render the headline with ``chat.update`` once the caller commits.

    Calls made before the worker gets to it end up as one update showing the latest state.
    """
    _defer_update(incident_id, attempt=1)


def schedule_thanks(*, incident_id: int, channel_id: str, user_id: str) -> None:
    """Promise an ephemeral thank-you to the reporter, pointing at the headline.

    It shares the headline's lock, so it runs after the post and can link to it.
    """
    thank_reporter.configure(lock=_lock(incident_id)).defer(
        incident_id=incident_id, channel_id=channel_id, user_id=user_id
    )


def _defer_update(incident_id: int, *, attempt: int, delay_seconds: int = 0) -> None:
    task = update_headline.configure(
        lock=_lock(incident_id),
        queueing_lock=_lock(incident_id),
        schedule_in={"seconds": delay_seconds} if delay_seconds else None,
    )
    try:
        # A savepoint: the unique violation that reports an update already waiting must not
        # abort the caller's transaction.
        with transaction.atomic():
            task.defer(incident_id=incident_id, attempt=attempt)
    except AlreadyEnqueued:
        pass  # the waiting update renders the latest state when it runs


# --- Jobs --------------------------------------------------------------------------------------


@job("slack.post_headline", priority=HEADLINE_PRIORITY)
def post_headline(incident_id: int) -> None:
    """Post the headline into the central channel and remember where it is.

    Safe to run again: once a headline is stored it is never posted a second time, and one
    Slack took without the answer reaching us is found by its metadata key.
    """
    if HeadlinePost.objects.filter(incident_id=incident_id).exclude(ts="").exists():
        return
    incident = _incident(incident_id)
    if incident is None:
        return
    text, blocks = _render(incident)
    channel = central_channel_id()
    # A retry looks for a headline its earlier attempt may have posted before failing.
    posted = post_once(channel=channel, text=text, blocks=blocks, key=f"headline-{incident_id}")
    headline_post_record(
        incident_id=incident_id, channel_id=posted.get("channel") or channel, ts=posted["ts"]
    )


# No procrastinate retries: a retried job would return to "todo" next to a newer update holding
# the same queueing lock, which procrastinate refuses, leaving the job stuck with the lock held.
# Transient failures defer a fresh update instead (see _retry_later).
@job("slack.update_headline", retry=False, priority=HEADLINE_PRIORITY)
def update_headline(incident_id: int, attempt: int = 1) -> None:
    """Re-render the headline from the database and ``chat.update`` it in place."""
    headline = HeadlinePost.objects.filter(incident_id=incident_id).exclude(ts="").first()
    incident = _incident(incident_id)
    if headline is None or incident is None:
        # Not posted yet: the post job renders the latest state itself.
        return
    text, blocks = _render(incident)
    try:
        get_slack_client().update_message(
            channel=headline.channel_id, ts=headline.ts, text=text, blocks=blocks
        )
    except TRANSIENT_ERRORS as error:
        _retry_later(incident_id, attempt, error)
    except SlackError as error:
        logger.error("could not update the headline of incident %s: %s", incident_id, error)


@job("slack.thank_reporter")
def thank_reporter(incident_id: int, channel_id: str, user_id: str) -> None:
    """Thank the reporter where they typed ``/incident``, or in a DM if the bot can't post there."""
    incident = _incident(incident_id)
    if incident is None:
        return
    text = thanks(incident=incident, headline_link=_headline_link(incident_id))
    # The command works in any channel, but the bot can only post where it is a member.
    send_ephemeral_or_dm(channel_id, user_id, text)


# --- Helpers -----------------------------------------------------------------------------------


def _incident(incident_id: int) -> Incident | None:
    incident = selectors.incident_list().filter(pk=incident_id).first()
    if incident is None:
        logger.warning("incident %s no longer exists; nothing to show", incident_id)
    return incident


def _render(incident: Incident) -> tuple[str, list[dict]]:
    comms_channel = CommsChannel.objects.filter(incident=incident).first()
    return headline_blocks(
        incident,
        comms_channel=comms_channel,
        site_url=settings.SITE_URL,
        extra_buttons=_extra_buttons(incident),
        updates=update_times(incident),
    )


def _extra_buttons(incident: Incident) -> list[dict]:
    """The buttons registered with ``@headline_button`` (workflows, plugins) that apply now."""
    return [button for entry in registry.headline_buttons if (button := entry.run(incident))]


def _retry_later(incident_id: int, attempt: int, error: SlackError) -> None:
    if attempt >= UPDATE_ATTEMPTS:
        logger.error("gave up updating the headline of incident %s: %s", incident_id, error)
        return
    wait = getattr(error, "retry_after", None) or UPDATE_RETRY_SECONDS * attempt
    logger.warning(
        "headline of incident %s not updated (%s); trying again in %s s", incident_id, error, wait
    )
    _defer_update(incident_id, attempt=attempt + 1, delay_seconds=wait)


def _headline_link(incident_id: int) -> str:
    """A link to the headline post, or failing that a mention of the central channel."""
    headline = HeadlinePost.objects.filter(incident_id=incident_id).exclude(ts="").first()
    if headline is None:  # the post failed for good; the thanks still say where to look
        try:
            return f"<#{central_channel_id()}>"
        except SlackError:
            return f"#{settings.INCIDENT_CHANNEL_NAME}"
    try:
        permalink = get_slack_client().get_permalink(
            channel=headline.channel_id, message_ts=headline.ts
        )["permalink"]
    except SlackError:
        return f"<#{headline.channel_id}>"
    return f"<{permalink}|the incident's headline> in <#{headline.channel_id}>"
