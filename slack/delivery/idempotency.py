"""Posting at most once, even when a job runs again after Slack already took its post.

A job can reach Slack and still fail before it finishes: the answer is lost on the way back (a
timeout), the worker is killed, the database connection drops. The job then runs again and would
post a second time. So each post carries a key in Slack's message metadata (the job's id by
default), and an attempt that may follow an earlier one first looks for that key among the
channel's recent messages. The first attempt never looks, so the usual path costs no extra call.
"""

from __future__ import annotations

import datetime as dt
import logging
from itertools import islice
from typing import Any

from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateEvent

from slack.delivery.jobs import running_job
from slack.web_api.client import SlackClient, get_slack_client
from slack.web_api.errors import logged_if_lasting

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

EVENT_TYPE = "response_post"
# How far back to look when the job's own history does not say (a post older than this
# cannot be from an attempt of a job that is still running).
LOOK_BACK = dt.timedelta(days=1)
# Enough for a busy channel between two attempts of a job; a lookup never reads more.
MAX_MESSAGES_READ = 1000


def post_once(
    *,
    channel: str,
    text: str,
    blocks: list[JsonDict] | None = None,
    key: str | None = None,
    since: dt.datetime | None = None,
    look_first: bool | None = None,
    client: SlackClient | None = None,
) -> JsonDict:
    """``chat.postMessage``, unless a message carrying ``key`` is already in the channel.

    ``key`` defaults to the running job's; ``since`` is when the post may first have been made
    (defaults to when the job was deferred). ``look_first`` says whether an earlier attempt may
    have posted it (defaults to whether the running job ran before), for callers that keep track
    themselves; ``client`` a client of the caller's (one that does not wait out 429s, say).
    Returns Slack's answer, or the earlier message's ``{"ok", "channel", "ts", "message"}`` when
    it was already there.
    """
    running = running_job()
    key = key or (running.key if running else None)
    client = client or get_slack_client()
    if key is None:
        return client.post_message(channel=channel, text=text, blocks=blocks)
    if look_first is None:
        look_first = running is not None and running.may_have_run_before
    if look_first and _history_readable(channel):
        since = since or (_deferred_at(running.id) if running else timezone.now() - LOOK_BACK)
        earlier = find_post(channel=channel, key=key, since=since)
        if earlier is not None:
            logger.info("%s is already in %s (%s): not posted again", key, channel, earlier["ts"])
            return {"ok": True, "channel": channel, "ts": earlier["ts"], "message": earlier}
    return client.post_message(channel=channel, text=text, blocks=blocks, metadata=metadata(key))


def metadata(key: str) -> JsonDict:
    """The message metadata that marks a post as made for ``key``."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def key_of(message: JsonDict) -> str | None:
    """The key a message was posted with, if Response posted it with one."""
    data = message.get("metadata") or {}
    if data.get("event_type") != EVENT_TYPE:
        return None
    return (data.get("event_payload") or {}).get("key")


def find_post(*, channel: str, key: str, since: dt.datetime) -> JsonDict | None:
    """The channel's message carrying ``key`` posted after ``since``, if there is one.

    A lookup Slack refuses for good (a missing scope, say) finds nothing: posting twice is
    better than not posting. A lookup that may pass later raises, so the job tries again.
    """
    oldest = (since - dt.timedelta(seconds=5)).timestamp()
    with logged_if_lasting(f"look for {key} in {channel} before posting", logger):
        messages = get_slack_client().iter_history(channel=channel, oldest=oldest)
        for message in islice(messages, MAX_MESSAGES_READ):
            if key_of(message) == key:
                return message
    return None


def _history_readable(channel: str) -> bool:
    # Channels, private channels and DMs (channels:history, groups:history, im:history). A user
    # id standing for a DM has no history of its own to read.
    return channel[:1] in ("C", "G", "D")


def _deferred_at(job_id: int) -> dt.datetime:
    event = (
        ProcrastinateEvent.objects.filter(job_id=job_id, type="deferred")
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return event or timezone.now() - LOOK_BACK
