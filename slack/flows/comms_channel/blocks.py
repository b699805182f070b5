"""The first message in a new comms channel (SPEC §6.4): what the incident is and how to work it.

Pure: everything it shows comes from its arguments, so it is tested without Slack or settings.
"""

from __future__ import annotations

from core.models import Incident
from slack.block_kit import Block, escape, mention, mrkdwn, plain

SECTION_LIMIT = 3000  # characters of a section's text (Block Kit)
HEADER_LIMIT = 150  # characters of a header's plain text


def welcome_message(
    incident: Incident, *, document_url: str, bot_name: str
) -> tuple[str, list[Block]]:
    """``(fallback text, blocks)`` of the welcome message for ``incident``'s channel.

    ``bot_name`` is how people address the bot (``incident`` for ``@incident help``).
    """
    bot = f"@{bot_name.lstrip('@')}"
    severity = _severity(incident)
    lead = mention(incident.lead.external_id) if incident.lead else None

    text = (
        f"Welcome to the channel of incident {incident.pk}: {escape(incident.title)}. "
        f"Severity: {severity or 'not set yet'}. "
        f"Lead: {lead or 'nobody yet'}. "
        f"Type {bot} help to see what I can do here."
    )
    summary = (
        escape(incident.summary)
        if incident.summary
        else f"_None yet._ Write one with `{bot} summary <text>`."
    )
    header = f"{incident.status_emoji} Incident {incident.pk}: {incident.title}"
    blocks: list[Block] = [
        {"type": "header", "text": plain(_cut(header, HEADER_LIMIT))},
        {"type": "section", "text": mrkdwn(_cut(f"*Summary*\n{summary}", SECTION_LIMIT))},
        {
            "type": "section",
            "fields": [
                mrkdwn(
                    "*Severity*\n"
                    + (severity or f"☁️ Not set yet: `{bot} severity critical|major|minor|trivial`")
                ),
                mrkdwn("*Lead*\n" + (lead or f"Nobody yet: take it with `{bot} lead`")),
            ],
        },
        {
            "type": "section",
            "text": mrkdwn(
                f":page_facing_up: <{document_url}|Incident document>: the timeline, actions and "
                "report. Pin messages here to add them to the timeline."
            ),
        },
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    f"Type `{bot} help` to see what I can do: set the summary, impact, lead and "
                    "severity, log follow-up actions, close the incident…"
                )
            ],
        },
    ]
    return text, blocks


def _severity(incident: Incident) -> str | None:
    if not incident.severity_text:
        return None
    return f"{incident.severity_emoji} {incident.severity_text.capitalize()}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
