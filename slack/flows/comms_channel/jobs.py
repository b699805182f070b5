"""Comms channels: creating an incident's channel in Slack and recording it (SPEC §6.4).

This module is the only place a ``CommsChannel`` is created (``rename.py`` beside it keeps its
name in step with renames).

**Exactly one channel per incident.** Every request for a channel (a click on "Create comms
channel") becomes a ``slack.create_comms_channel`` job carrying the procrastinate lock
``comms-channel-<incident id>``: jobs with the same lock never run at the same time and run in
the order they were queued, so two clicks handled by two workers are decided one after the
other. The job looks for a recorded ``CommsChannel`` first, and records the new one in a
transaction that holds the incident's row lock and checks again.

**A retry carries on where the last attempt stopped.**

1. Creating the channel: if an attempt created the Slack channel but failed before recording
   it, the retry's ``conversations.create`` answers ``name_taken``. The channel of that name is
   then looked up and adopted when it is ours (see :func:`is_ours`) instead of making ``-2``.
2. Recording it commits, in the same transaction, one job per remaining step (invites, topic and
   purpose, welcome message, bookmark) and the headline update. So each step is promised exactly
   once, and each is retried on its own: a failed bookmark never posts the welcome again.
   Invites, topic and purpose are harmless to repeat. The welcome post and the bookmark each make
   one call, so they repeat only if Slack did the work but the answer was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from core import selectors, services
from core.models import Incident
from slack.block_kit import document_url as block_document_url
from slack.delivery.jobs import RETRY, SlackAwareRetry, job, running_job
from slack.flows.comms_channel.blocks import welcome_message
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.comms_channel.names import channel_name
from slack.flows.comms_channel.services import comms_channel_record
from slack.flows.headline.jobs import schedule_headline_update
from slack.web_api.client import get_slack_client
from slack.web_api.errors import NameTaken, SlackError, logged_if_lasting
from slack.web_api.workspace import bot_user_id

logger = logging.getLogger(__name__)

MAX_SUFFIX = 20  # names tried: inc-<id>-<slug>, then -2 … -20
TOPIC_LIMIT = 250  # characters Slack allows in a topic or a purpose
BOOKMARK_TITLE = "Incident document"
# A channel created before its incident was declared cannot be that incident's (a database
# restored or reset makes ids repeat). Allows for the clocks of Slack and of this server.
CLOCK_SKEW = dt.timedelta(minutes=5)

Channel = dict[str, Any]


class NoFreeChannelName(Exception):
    """Every candidate name is taken by a channel that is not this incident's."""


class _RetryUnlessNoName(SlackAwareRetry):
    """The usual retries (a rate-limited attempt waits as long as Slack said), except when every
    name is taken: trying again would change nothing."""

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
        if isinstance(exception, NoFreeChannelName):
            return None
        return super().get_retry_decision(exception=exception, job=job)


CREATE_RETRY = _RetryUnlessNoName(
    max_attempts=RETRY.max_attempts, exponential_wait=RETRY.exponential_wait
)


def document_url(incident: Incident) -> str:
    return block_document_url(incident.pk, settings.SITE_URL)


def lock_for(incident_id: int) -> str:
    return f"comms-channel-{incident_id}"


# --- Asking for a channel ------------------------------------------------------------------------


def request_comms_channel(
    *, incident_id: int, requested_by: str | None = None, reply_channel: str = ""
) -> None:
    """Promise the incident a comms channel (a job, under the incident's channel lock).

    ``requested_by`` (a Slack user id) is invited, and told in ``reply_channel`` (ephemerally)
    when no channel is made: the incident is closed, or already has one.
    """
    create_comms_channel.configure(lock=lock_for(incident_id)).defer(
        incident_id=incident_id, requested_by=requested_by or "", reply_channel=reply_channel
    )


@job("slack.create_comms_channel", retry=CREATE_RETRY)
def create_comms_channel(incident_id: int, requested_by: str, reply_channel: str) -> None:
    ensure_comms_channel(
        incident_id=incident_id, requested_by=requested_by, reply_channel=reply_channel
    )


def ensure_comms_channel(
    *, incident_id: int, requested_by: str = "", reply_channel: str = ""
) -> CommsChannel | None:
    """The incident's comms channel, created if it has none and may have one.

    Call it under the incident's channel lock (the job does). Returns None when the incident is
    gone, closed or a report of something already over.
    """
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        logger.warning("comms channel asked for incident %s, which does not exist", incident_id)
        return None
    existing = CommsChannel.objects.filter(incident_id=incident_id).first()
    if existing is not None:
        _tell(
            requested_by,
            reply_channel,
            f"Incident {incident.pk} already has a comms channel: <#{existing.channel_id}>.",
        )
        return existing
    refusal = _refusal(incident)
    if refusal:
        _tell(requested_by, reply_channel, refusal)
        return None
    try:
        channel = _create_or_adopt(incident)
    except NoFreeChannelName as error:
        logger.error("no comms channel for incident %s: %s", incident.pk, error)
        _tell(requested_by, reply_channel, f"Sorry, I could not create the channel: {error}")
        raise
    return _record(incident, channel, requested_by)


def _refusal(incident: Incident) -> str | None:
    if incident.report_only:
        return (
            f"Incident {incident.pk} is a report of something already over, so it gets no "
            "comms channel."
        )
    if not incident.is_live:
        return (
            f"Incident {incident.pk} is {incident.status}, so I won't create a comms channel for "
            "it. Reopen it first if the work is not over."
        )
    return None


def _tell(user: str, channel: str, text: str) -> None:
    """An ephemeral note to whoever asked, where they asked; not worth failing the job over."""
    if not (user and channel):
        return
    try:
        get_slack_client().post_ephemeral(channel=channel, user=user, text=text)
    except SlackError as error:
        logger.warning("could not tell %s in %s: %s", user, channel, error)


# --- Creating (or finding again) the Slack channel -----------------------------------------------


def candidate_names(incident: Incident) -> list[str]:
    """The names tried in order: ``inc-<id>-<slug>``, then ``-2`` … ``-MAX_SUFFIX``."""
    names = [channel_name(incident.pk, incident.title)]
    names += [channel_name(incident.pk, incident.title, n) for n in range(2, MAX_SUFFIX + 1)]
    return names


def _create_or_adopt(incident: Incident) -> Channel:
    client = get_slack_client()
    names = candidate_names(incident)
    visible: dict[str, Channel] | None = None  # listed once, at the first name_taken
    for name in names:
        try:
            # A private incident's channel is private: only those invited see it (SPEC §18).
            channel: Channel = client.create_channel(name=name, is_private=incident.private)[
                "channel"
            ]
        except NameTaken:
            if visible is None:
                visible = _visible_channels(names)
            found = visible.get(name)
            if found is not None and is_ours(found, incident):
                logger.info(
                    "adopting #%s (%s) for incident %s: created by an earlier attempt",
                    name,
                    found.get("id"),
                    incident.pk,
                )
                return found
            logger.info("#%s is taken by another channel; trying the next name", name)
            continue
        logger.info("created #%s (%s) for incident %s", name, channel["id"], incident.pk)
        return channel
    raise NoFreeChannelName(
        f"the names #{names[0]} to #{names[-1]} are all taken by other channels "
        "(archived channels keep their names: rename or delete some, then click again)"
    )


def _visible_channels(names: Iterable[str]) -> dict[str, Channel]:
    """The unarchived channels the bot can see whose name is one of ``names``."""
    wanted = set(names)
    return {
        str(channel["name"]): channel
        for channel in get_slack_client().iter_conversations()
        if channel.get("name") in wanted
    }


def is_ours(channel: Channel, incident: Incident) -> bool:
    """Was ``channel`` made for ``incident`` by an attempt that failed before recording it?

    Yes when the bot created it, it is not archived, it was created after the incident was
    declared, and no other incident has it. (Its topic and purpose cannot tell: they are set
    only after the channel is recorded.)
    """
    if channel.get("creator") != bot_user_id() or channel.get("is_archived"):
        return False
    created = channel.get("created")
    if not isinstance(created, int | float):
        return False
    created_at = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    if created_at < incident.report_time - CLOCK_SKEW:
        return False
    return not CommsChannel.objects.filter(channel_id=channel.get("id")).exists()


# --- Recording it, and promising the rest --------------------------------------------------------


def _record(incident: Incident, channel: Channel, requested_by: str) -> CommsChannel:
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("reporter")
            .prefetch_related(selectors.HELD_ROLES)
            .get(pk=incident.pk)
        )
        existing = CommsChannel.objects.filter(incident=locked).first()
        if existing is not None:
            # Only possible if something made a channel without taking the lock.
            logger.error(
                "incident %s got #%s (%s) while #%s (%s) was being created; keeping the first",
                locked.pk,
                existing.name,
                existing.channel_id,
                channel.get("name"),
                channel.get("id"),
            )
            return existing
        comms = comms_channel_record(
            incident=locked, channel_id=str(channel["id"]), name=str(channel["name"])
        )
        _promise_setup(locked, comms, requested_by)
        schedule_headline_update(locked.pk)
    return comms


def _promise_setup(incident: Incident, comms: CommsChannel, requested_by: str) -> None:
    people = [
        user.external_id
        for user in (incident.reporter, *(held.holder for held in incident.roles_held))
        if user is not None and user.external_id and not user.deleted
    ]
    invite_people.defer(channel_id=comms.channel_id, user_ids=[*people, requested_by])
    describe_channel.defer(incident_id=incident.pk)
    text, welcome = welcome_message(
        incident, document_url=document_url(incident), bot_name=settings.INCIDENT_BOT_NAME
    )
    comms.post_in_channel(text, welcome)
    bookmark_document.defer(channel_id=comms.channel_id, link=document_url(incident))


# --- The steps after creation, each a job of its own ---------------------------------------------


@job("slack.comms_invite")
def invite_people(channel_id: str, user_ids: list[str]) -> None:
    """Invite everyone in one call; one refusal does not stop the others.

    Being in already counts as invited. A refusal that will not change (``user_not_found``,
    ``cant_invite``…) is logged; if Slack was unavailable the job fails and its retry invites
    everyone again, which is harmless.
    """
    bot = bot_user_id()
    people = list(dict.fromkeys(user for user in user_ids if user and user != bot))
    if not people:
        return
    result = get_slack_client().invite(channel=channel_id, users=people)
    refused = result.get("refused", {})
    for user, reason in refused.items():
        if reason != "already_in_channel":
            logger.warning("could not invite %s into %s: %s", user, channel_id, reason)
    _record_private_members(
        channel_id,
        [
            user
            for user in people
            if refused.get(user, "already_in_channel") == "already_in_channel"
        ],
    )


def _record_private_members(channel_id: str, user_ids: list[str]) -> None:
    """Those now in a private incident's channel may see the incident, without waiting for
    Slack's member_joined_channel events (which record them too)."""
    comms = CommsChannel.objects.select_related("incident").filter(channel_id=channel_id).first()
    if comms is None or not comms.incident.private or not user_ids:
        return
    services.incident_members_joined(
        incident=comms.incident,
        users=[services.external_user_get_or_create(external_id=user) for user in user_ids],
    )


@job("slack.comms_describe")
def describe_channel(incident_id: int) -> None:
    """Topic and purpose from the incident as it is now (setting them again is harmless)."""
    comms = CommsChannel.objects.select_related("incident").filter(incident_id=incident_id).first()
    if comms is None:
        return
    client = get_slack_client()
    incident, channel = comms.incident, comms.channel_id
    with logged_if_lasting("set the topic", logger):
        client.set_topic(channel=channel, topic=topic_for(incident))
    with logged_if_lasting("set the purpose", logger):
        client.set_purpose(channel=channel, purpose=purpose_for(incident))


@job("slack.comms_bookmark")
def bookmark_document(channel_id: str, link: str) -> None:
    """Bookmark the incident document in its channel.

    An attempt after the first looks at the channel's bookmarks first: the earlier one may have
    added it before its answer was lost.
    """
    client = get_slack_client()
    running = running_job()
    if running is not None and running.may_have_run_before and _bookmarked(channel_id, link):
        return
    with logged_if_lasting("bookmark the incident document", logger):
        client.add_bookmark(channel=channel_id, title=BOOKMARK_TITLE, link=link)


def _bookmarked(channel_id: str, link: str) -> bool:
    # A listing Slack refuses (a missing scope, say) finds nothing: adding it twice beats not at
    # all.
    with logged_if_lasting(f"list the bookmarks of {channel_id}", logger):
        bookmarks = get_slack_client().list_bookmarks(channel=channel_id)
        return any(bookmark.get("link") == link for bookmark in bookmarks)
    return False


def topic_for(incident: Incident) -> str:
    """``<title> - <document link>``, the title shortened to stay within Slack's limit."""
    return _fit(lambda title: f"{title} - {document_url(incident)}", incident.title)


def purpose_for(incident: Incident) -> str:
    return _fit(
        lambda title: (
            f"Working on incident {incident.pk}: {title}. "
            f"Incident document: {document_url(incident)}"
        ),
        incident.title,
    )


def _fit(render: Callable[[str], str], title: str, limit: int = TOPIC_LIMIT) -> str:
    text = render(title)
    if len(text) <= limit:
        return text
    room = len(title) - (len(text) - limit) - 1
    if room > 0:
        return render(title[:room].rstrip() + "…")
    return text[: limit - 1] + "…"
