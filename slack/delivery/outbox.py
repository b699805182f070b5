"""Messages Response has promised to post: each becomes a job, deferred in the caller's transaction.

Inside :func:`collecting_posts` (the reminder sweep uses it) posts are gathered and deferred in one
statement at the end, so the sweep's query count does not grow with the number of reminders.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError, logged_if_lasting

logger = logging.getLogger(__name__)

_collector: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "post_collector", default=None
)


@job("slack.post_message")
def post_message(channel_id: str, text: str, blocks: list[dict] | None = None) -> None:
    """Post, retrying only what may pass: an archived or unknown channel will stay so."""
    with logged_if_lasting(f"post {text[:80]!r} in {channel_id}", logger, level=logging.ERROR):
        post_once(channel=channel_id, text=text, blocks=blocks)


def channel_lock(channel_id: str) -> str:
    """Posts sharing this lock run one after another, in the order they were promised."""
    return f"post-{channel_id}"


# Where a slash command was typed the bot may not be a member: an ephemeral there then fails.
UNREACHABLE_THERE = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}


def send_ephemeral_or_dm(channel_id: str, user_id: str, text: str) -> None:
    """Show ``text`` to one person where they are, or by DM when the bot cannot post there.

    Call it from a job: it talks to Slack.
    """
    client = get_slack_client()
    try:
        client.post_ephemeral(channel=channel_id, user=user_id, text=text)
    except SlackError as error:
        if error.code not in UNREACHABLE_THERE:
            raise
        client.post_message(channel=user_id, text=text)


def post_in_channel(channel_id: str, text: str, blocks: list[dict] | None = None) -> None:
    """Promise a post into a channel: it is sent by the worker once the transaction commits."""
    job_kwargs = {"channel_id": channel_id, "text": text, "blocks": blocks}
    collected = _collector.get()
    if collected is not None:
        collected.append(job_kwargs)
    else:
        # The worker runs jobs concurrently; the lock keeps a channel's posts in order.
        post_message.configure(lock=channel_lock(channel_id)).defer(**job_kwargs)


@contextlib.contextmanager
def collecting_posts() -> Iterator[list[dict[str, Any]]]:
    """Gather the posts made inside the block instead of deferring them one by one.

    The caller decides which gathered posts to keep and defers them with :func:`defer_posts`.
    """
    gathered: list[dict[str, Any]] = []
    token = _collector.set(gathered)
    try:
        yield gathered
    finally:
        _collector.reset(token)


def defer_posts(posts: list[dict[str, Any]]) -> None:
    """Defer many posts in one statement."""
    if posts:
        post_message.batch_defer(*posts)


@job("slack.tell_user")
def tell_user(channel_id: str, user_id: str, text: str) -> None:
    """An ephemeral note to one person; by DM when the bot cannot post in that channel."""
    send_ephemeral_or_dm(channel_id, user_id, text)
