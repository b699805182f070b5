"""The headline post's jobs: posting it, keeping it up to date, and thanking the reporter.

Headlines are posted by one publisher for the central channel (the job ``slack.post_headline``,
one at a time under the lock ``headlines``): Slack takes about one post a second into a channel,
so in a storm of incidents headlines wait, and the publisher takes the waiting ones most severe
first, then oldest. A 429 does not hold a worker thread: the publisher defers itself for
``Retry-After`` and ends. Each waiting headline is a ``HeadlinePost`` without ``ts``; the
publisher renders it as the incident is when its turn comes, so edits made while it waited cost
nothing.

The updates and thanks of one incident share the ``lock`` ``headline-<id>``, so they run one at
a time and in the order they were deferred: two workers can never send an older rendering after
a newer one. An update that finds the headline not posted yet does nothing (the post shows the
latest state); the thanks wait for the post, to link to it.

Updates are coalesced with a ``queueing_lock``: however many changes happen before the worker
gets to it, one update job is waiting, and it renders the incident as it is when it runs.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from procrastinate.exceptions import AlreadyEnqueued

from core import selectors
from core.models import Incident
from slack import registry
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import HEADLINE_PRIORITY, job
from slack.delivery.outbox import send_ephemeral_or_dm
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline import selectors as selectors_headline
from slack.flows.headline.blocks import headline_blocks, thanks
from slack.flows.headline.models import HeadlinePost
from slack.flows.headline.services import (
    headline_post_abandon,
    headline_post_record,
    headline_post_shown,
    headline_post_tried,
    headline_post_wanted,
)
from slack.flows.updates.schedule import update_times
from slack.web_api.client import get_slack_client
from slack.web_api.errors import TRANSIENT_ERRORS, RateLimited, SlackError
from slack.web_api.workspace import central_channel_id

logger = logging.getLogger(__name__)

# A headline update Slack could not take is tried again up to this many times, waiting longer
# each time (as long as Slack asked, when it did).
UPDATE_ATTEMPTS = 8
UPDATE_RETRY_SECONDS = 10
# The publisher, after a failure other than a 429, tries again after this long times the number
# of failures in a row, at most PUBLISH_RETRY_MAX_SECONDS: a headline is never given up for a
# failure that may pass.
PUBLISH_RETRY_SECONDS = 2
PUBLISH_RETRY_MAX_SECONDS = 60
# The thanks link to the headline; while it waits for its turn they look again this often.
THANKS_WAIT_SECONDS = 2
PUBLISHER_LOCK = "headlines"
# An update that finds its headline being posted looks again after this long.
UPDATE_WAITS_FOR_POST_SECONDS = 1


def _lock(incident_id: int) -> str:
    return f"headline-{incident_id}"


# --- What the receivers and other flows call (inside their transaction) ------------------------


def schedule_headline_post(incident_id: int) -> None:
    """Promise the first headline post of a new incident: queue it and wake the publisher."""
    headline_post_wanted(incident_id=incident_id)
    _wake_publisher()


def schedule_headline_update(incident_id: int) -> None:
    """Promise to re-render the headline with ``chat.update`` once the caller commits.

    Calls made before the worker gets to it end up as one update showing the latest state.
    """
    _defer_update(incident_id, attempt=1)


def schedule_thanks(*, incident_id: int, channel_id: str, user_id: str) -> None:
    """Promise an ephemeral thank-you to the reporter, pointing at the headline.

    It waits for the headline to be posted, so that it can link to it.
    """
    schedule_thanks_in(0, incident_id, channel_id, user_id)


def schedule_thanks_in(seconds: float, incident_id: int, channel_id: str, user_id: str) -> None:
    thank_reporter.configure(
        lock=_lock(incident_id), schedule_in={"seconds": seconds} if seconds else None
    ).defer(incident_id=incident_id, channel_id=channel_id, user_id=user_id)


def _wake_publisher(*, delay_seconds: float = 0, failures: int = 0) -> None:
    task = post_headline.configure(
        lock=PUBLISHER_LOCK,
        queueing_lock=PUBLISHER_LOCK,
        schedule_in={"seconds": delay_seconds} if delay_seconds else None,
    )
    try:
        with transaction.atomic():  # a savepoint, as in _defer_update
            task.defer(failures=failures)
    except AlreadyEnqueued:
        pass  # the publisher waiting to run posts every headline waiting then


def _defer_update(incident_id: int, *, attempt: int, delay_seconds: float = 0) -> None:
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


# No procrastinate retries, as for updates below: the publisher defers itself again instead.
@job("slack.post_headline", retry=False, priority=HEADLINE_PRIORITY)
def post_headline(incident_id: int | None = None, failures: int = 0) -> None:
    """Post the waiting headlines into the central channel, most severe first, then oldest.

    ``incident_id`` is from jobs deferred before headlines waited in a queue: it queues that one.
    Safe to run again: a headline stored with its ``ts`` is never posted a second time, and one
    Slack took without the answer reaching us is found by its metadata key.
    """
    if incident_id is not None:
        headline_post_wanted(incident_id=incident_id)
    while (headline := selectors_headline.next_waiting_headline()) is not None:
        try:
            _publish(headline)
        except RateLimited as error:
            # Nothing was posted; the next try, of whichever headline is first then, is due
            # when Slack said. Until then the worker's thread is free.
            _wake_publisher(delay_seconds=error.retry_after or 1)
            return
        except TRANSIENT_ERRORS as error:
            wait = min(PUBLISH_RETRY_SECONDS * (failures + 1), PUBLISH_RETRY_MAX_SECONDS)
            logger.warning(
                "headline of incident %s not posted (%s); again in %s s",
                headline.incident_id,
                error,
                wait,
            )
            _wake_publisher(delay_seconds=wait, failures=failures + 1)
            return
        except SlackError as error:
            logger.error(
                "could not post the headline of incident %s: %s", headline.incident_id, error
            )
            headline_post_abandon(headline)
        failures = 0


def _publish(headline: HeadlinePost) -> None:
    """Post one headline; a try that may have reached Slack is looked for before posting again."""
    channel = central_channel_id()
    tried_before = headline.tried_at is not None
    if not tried_before:
        # Committed before the call: a worker killed during it leaves the mark behind, and an
        # update that finds it waits for the post instead of leaving its change to it.
        headline_post_tried(headline, at=timezone.now())
    # Rendered after the mark: a change an update left to the post is in this rendering.
    incident = _incident(headline.incident_id)
    if incident is None:
        headline_post_abandon(headline)
        return
    text, blocks = _render(incident)
    try:
        posted = post_once(
            channel=channel,
            text=text,
            blocks=blocks,
            key=f"headline-{headline.incident_id}",
            since=headline.tried_at,
            look_first=tried_before,
            client=get_slack_client(wait_on_rate_limits=False),
        )
    except RateLimited:
        if not tried_before:  # a 429 did nothing: the next try need not look first
            headline_post_tried(headline, at=None)
        raise
    headline_post_record(
        incident_id=headline.incident_id,
        channel_id=posted.get("channel") or channel,
        ts=posted["ts"],
        shown_digest=_digest(text, blocks),
    )


# No procrastinate retries: a retried job would return to "todo" next to a newer update holding
# the same queueing lock, which procrastinate refuses, leaving the job stuck with the lock held.
# Transient failures defer a fresh update instead (see _retry_later).
@job("slack.update_headline", retry=False, priority=HEADLINE_PRIORITY)
def update_headline(incident_id: int, attempt: int = 1) -> None:
    """Re-render the headline from the database and ``chat.update`` it in place."""
    headline = HeadlinePost.objects.filter(incident_id=incident_id).first()
    if headline is not None and not headline.ts and headline.tried_at is not None:
        # Being posted, from a rendering that may predate this change: update once it is in.
        _defer_update(incident_id, attempt=attempt, delay_seconds=UPDATE_WAITS_FOR_POST_SECONDS)
        return
    incident = _incident(incident_id)
    if headline is None or not headline.ts or incident is None:
        # Not posted yet: the publisher renders the latest state itself when it posts it.
        return
    text, blocks = _render(incident)
    digest = _digest(text, blocks)
    if digest == headline.shown_digest:
        return  # the change is not one the headline shows: Slack already has this rendering
    try:
        # A 429 is not sat out here: the update waits in the queue, where later edits join it.
        get_slack_client(wait_on_rate_limits=False).update_message(
            channel=headline.channel_id, ts=headline.ts, text=text, blocks=blocks
        )
    except RateLimited as error:
        # Not a failure: Slack will take it when the wait is over, however long the storm.
        _defer_update(incident_id, attempt=attempt, delay_seconds=error.retry_after or 1)
    except TRANSIENT_ERRORS as error:
        _retry_later(incident_id, attempt, error)
    except SlackError as error:
        logger.error("could not update the headline of incident %s: %s", incident_id, error)
    else:
        headline_post_shown(headline, digest=digest)


@job("slack.thank_reporter")
def thank_reporter(incident_id: int, channel_id: str, user_id: str) -> None:
    """Thank the reporter where they typed ``/incident``, or in a DM if the bot can't post there."""
    if HeadlinePost.objects.filter(incident_id=incident_id, ts="").exists():
        # The headline waits for its turn to be posted; the thanks link to it, so they wait too.
        schedule_thanks_in(THANKS_WAIT_SECONDS, incident_id, channel_id, user_id)
        return
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


def _digest(text: str, blocks: list[dict]) -> str:
    """Which rendering this is: equal renderings, equal digests."""
    rendering = json.dumps([text, blocks], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(rendering.encode()).hexdigest()


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
