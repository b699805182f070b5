"""Renaming an incident's channel (``@incident rename``) and following renames made in Slack."""

from __future__ import annotations

import logging

from slack.delivery.jobs import job
from slack.delivery.outbox import post_in_channel
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.comms_channel.names import MAX_LENGTH, slugify
from slack.flows.comms_channel.services import comms_channel_name_record
from slack.web_api.client import get_slack_client
from slack.web_api.errors import RateLimited, SlackConnectionError, SlackError, SlackServerError

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


@job("slack.rename_comms_channel")
def rename_comms_channel(channel_id: str, name: str, requested_by: str) -> None:
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
    comms_channel_name_record(channel_id=channel_id, name=name)
