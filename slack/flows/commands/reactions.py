"""Reactions Response adds to messages (✅ handled, ❓ not understood), sent as jobs."""

from __future__ import annotations

from slack.delivery.jobs import job
from slack.web_api.client import get_slack_client

HANDLED = "white_check_mark"
NOT_UNDERSTOOD = "question"


@job("slack.add_reaction")
def add_reaction(channel_id: str, ts: str, name: str) -> None:
    get_slack_client().add_reaction(channel=channel_id, ts=ts, name=name)


def react(channel_id: str, ts: str, name: str) -> None:
    """React to a message once the current transaction commits."""
    add_reaction.defer(channel_id=channel_id, ts=ts, name=name)
