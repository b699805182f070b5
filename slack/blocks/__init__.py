"""Block Kit builders: every message and modal Response shows in Slack is built in this package.

Builders are pure functions of their arguments (no settings, no database, no Slack), so what a
user sees can be tested without anything running. The helpers below are the small pieces they
share.
"""

from __future__ import annotations

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
