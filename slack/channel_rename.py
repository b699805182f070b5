"""Renaming an incident's channel (``@incident rename``) and following renames made in Slack."""

from __future__ import annotations

import logging

from slack.channel_names import MAX_LENGTH, slugify
from slack.errors import RateLimited, SlackConnectionError, SlackError, SlackServerError
from slack.jobs import job
from slack.models import CommsChannel

logger = logging.getLogger(__name__)

PREFIX = "inc-"


def normalise_channel_name(requested: str) -> str:
    """What Slack accepts: lower case ``a-z0-9-_``, at most 80 characters, prefixed ``inc-``."""
    slug = slugify(requested.lstrip("#"))
    if not slug.startswith(PREFIX):
        slug = PREFIX + slug
    return slug[:MAX_LENGTH].rstrip("-")


def schedule_rename(comms: CommsChannel, requested: str, *, requested_by: str) -> None:
    """Rename the channel once the current transaction commits (a job)."""
    rename_comms_channel.defer(
        channel_id=comms.channel_id,
        name=normalise_channel_name(requested),
        requested_by=requested_by,
    )


def record_channel_name(*, channel_id: str, name: str) -> bool:
    """Keep the stored name in step with Slack; False when the channel is not an incident's."""
    return bool(
        CommsChannel.objects.filter(channel_id=channel_id).exclude(name=name).update(name=name)
    )


@job("slack.rename_comms_channel")
def rename_comms_channel(channel_id: str, name: str, requested_by: str) -> None:
    from slack.client import get_slack_client
    from slack.outbox import post_in_channel

    try:
        get_slack_client().rename_channel(channel=channel_id, name=name)
    except (SlackConnectionError, SlackServerError, RateLimited):
        raise  # worth another attempt: the job is retried with backoff
    except SlackError as error:
        logger.info("rename of %s to %s refused: %s", channel_id, name, error.code)
        post_in_channel(
            channel_id,
            f":wave: Sorry <@{requested_by}>, the channel couldn't be renamed to `{name}` "
            f"({error.code}). Make sure the name isn't taken already.",
        )
        return
    record_channel_name(channel_id=channel_id, name=name)
