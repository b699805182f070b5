"""How ``@incident`` is answered: a reaction on the mention and, if there is one, a reply.

Shared by the mention's handler and by the commands finished later in a job
(``slack.flows.lifecycle.lookup``), so both answer the same way.
"""

from __future__ import annotations

from django.conf import settings

from core.models import Incident
from slack.block_kit import document_url
from slack.delivery.outbox import post_in_channel
from slack.flows.commands import reactions

# Slack recommends keeping a message's text under 4,000 characters; longer replies are trimmed.
MAX_REPLY_CHARS = 4000

Reply = tuple[bool, str | None]


def bot() -> str:
    """How people address the bot: ``@incident``."""
    return f"@{settings.INCIDENT_BOT_NAME}"


def answer(incident: Incident, *, channel_id: str, ts: str, handled: bool, reply: str | None):
    """✅ or ❓ on the mention, and the reply in the channel, once the transaction commits."""
    reactions.react(channel_id, ts, reactions.HANDLED if handled else reactions.NOT_UNDERSTOOD)
    if reply:
        # Every command's reply goes out here, so this is the one place that keeps it to size.
        post_in_channel(channel_id, fit_reply(reply, incident))


def fit_reply(text: str, incident: Incident) -> str:
    """``text`` cut to fit one Slack message, ending with a link to the whole story.

    Replies quote what people wrote (a summary can run to pages); Slack truncates long messages
    silently, so we cut first and point at the incident document, which holds everything.
    """
    if len(text) <= MAX_REPLY_CHARS:
        return text
    url = document_url(incident.pk, settings.SITE_URL)
    ending = f"…\n_Too long for Slack: the rest is in <{url}|the incident document>._"
    kept = text[: MAX_REPLY_CHARS - len(ending)]
    # Never leave half a <@U…|…> or <url|…> token: Slack would show it as raw text.
    opened, closed = kept.rfind("<"), kept.rfind(">")
    if opened > closed:
        kept = kept[:opened]
    return kept.rstrip() + ending
