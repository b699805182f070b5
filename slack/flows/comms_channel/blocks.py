"""The first message in a new comms channel (SPEC §6.4): what the incident is and how to work it.

Pure: everything it shows comes from its arguments, so it is tested without Slack or settings.
"""

from __future__ import annotations

from core.models import Incident
from slack.block_kit import Block, escape, mention, mrkdwn, plain
from slack.flows.lifecycle.blocks import held_roles_text, status_text
from slack.flows.updates.blocks import share_update_button

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

    drill = "This is a drill. " if incident.drill else ""
    text = (
        f"{drill}Welcome to the channel of incident {incident.pk}: {escape(incident.title)}. "
        f"Status: {status_text(incident.status)}. "
        f"Severity: {severity or 'not set yet'}. "
        f"Lead: {lead or 'nobody yet'}. "
        f"Type {bot} help to see what I can do here."
    )
    summary = (
        escape(incident.summary)
        if incident.summary
        else f"_None yet._ Write one with `{bot} summary <text>`."
    )
    drill_label = "🧪 Drill · " if incident.drill else ""
    header = f"{drill_label}{incident.status_emoji} Incident {incident.pk}: {incident.title}"
    blocks: list[Block] = [
        {"type": "header", "text": plain(_cut(header, HEADER_LIMIT))},
        *_drill_notice(incident),
        {"type": "section", "text": mrkdwn(_cut(f"*Summary*\n{summary}", SECTION_LIMIT))},
        {
            "type": "section",
            "fields": [
                mrkdwn(
                    "*Severity*\n"
                    + (severity or f"☁️ Not set yet: `{bot} severity critical|major|minor|trivial`")
                ),
                mrkdwn(f"*Status*\n{status_text(incident.status)}"),
                mrkdwn("*Roles*\n" + _roles(incident, bot)),
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
                    f"Type `{bot} help` to see what I can do: set the summary, impact, status, "
                    "roles, milestones and severity, log follow-up actions, resolve the "
                    "incident…"
                )
            ],
        },
        # SPEC §15: the update modal opens from the channel too (a click brings a trigger id).
        {"type": "actions", "elements": [share_update_button(incident)]},
    ]
    return text, blocks


def _roles(incident: Incident, bot: str) -> str:
    """Every held role on a line of its own; how to take the lead while nobody has it."""
    lines = held_roles_text(incident.roles_held)
    if incident.lead is None:
        lines.insert(0, f"Incident lead: nobody yet, take it with `{bot} lead`")
    return "\n".join(lines)


def _drill_notice(incident: Incident) -> list[Block]:
    if not incident.drill:
        return []
    return [
        {
            "type": "section",
            "text": mrkdwn(
                "🧪 *Drill*: this is a practice run. Everything works as in a real incident, "
                "and it is left out of the numbers."
            ),
        }
    ]


def _severity(incident: Incident) -> str | None:
    if not incident.severity_text:
        return None
    return f"{incident.severity_emoji} {incident.severity_text.capitalize()}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
