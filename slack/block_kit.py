"""The small pieces every Block Kit builder shares, and Slack's own markup for times.

Each flow builds its messages and modals in its own ``blocks.py``; builders are pure functions of
their arguments (no settings, no database, no Slack), so what a user sees can be tested without
anything running.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

Block = dict[str, Any]


def escape(text: str) -> str:
    """User-supplied text made safe for mrkdwn: only ``&``, ``<`` and ``>`` are special.

    Escaping them keeps a title like ``<!channel> is down`` from pinging a whole channel.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> dict[str, Any]:
    """A ``plain_text`` object (labels, button texts, placeholders, modal titles)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def document_url(incident_id: int, site_url: str) -> str:
    """The incident document in the web UI, the link every Slack surface points to."""
    return f"{site_url.rstrip('/')}/incident/{incident_id}/"


def postmortem_url(incident_id: int, site_url: str) -> str:
    """The incident's postmortem in the web UI, where the team writes what it learnt."""
    return f"{document_url(incident_id, site_url)}postmortem/"


def date_token(moment: dt.datetime) -> str:
    """A time every reader sees in their own zone (``<!date^…>``), with a UTC fallback."""
    epoch = int(moment.timestamp())
    fallback = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def ts_to_datetime(ts: str) -> dt.datetime:
    """A Slack message ts (``"1700000050.000200"``) as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(float(ts), tz=dt.UTC)


def modal_errors(errors: dict[str, str]) -> dict[str, Any]:
    """Slack's answer to a submission that keeps the modal open and shows each message under
    the block it is keyed by."""
    return {"response_action": "errors", "errors": errors}


def input_block(
    action_id: str, label: str, element: Block, *, optional: bool = False, hint: str = ""
) -> Block:
    """An input block whose block id is its element's action id (how the forms read values)."""
    block: Block = {
        "type": "input",
        "block_id": action_id,
        "label": plain(label),
        "element": {**element, "action_id": action_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def read_metadata(private_metadata: str) -> dict[str, Any]:
    """What ``_modal`` put in ``private_metadata``; empty when it is missing or not ours."""
    try:
        metadata = json.loads(private_metadata or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}
