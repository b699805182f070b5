"""Jobs that carry Slack requests past the acknowledgement (found by procrastinate's
autodiscovery of ``tasks`` modules)."""

from __future__ import annotations

from typing import Any

from slack import dispatch
from slack.jobs import job


@job("slack.process_event")
def process_event(envelope: dict[str, Any]) -> None:
    """Run the registered handlers of one Events API delivery."""
    dispatch.run_event(envelope)


@job("slack.process_action")
def process_action(payload: dict[str, Any], action_index: int) -> None:
    """Run the handler of one action of a ``block_actions`` payload."""
    dispatch.run_action(payload, action_index)


# Jobs declared next to the code that defers them, imported so every worker knows them.
from slack.channel_rename import rename_comms_channel  # noqa: E402, F401
from slack.housekeeping import prune_processed_events  # noqa: E402, F401
from slack.outbox import post_message  # noqa: E402, F401
from slack.reactions import add_reaction  # noqa: E402, F401
from slack.users import refresh_user  # noqa: E402, F401
from slack.workflows.statuspage import load_form, submit  # noqa: E402, F401
