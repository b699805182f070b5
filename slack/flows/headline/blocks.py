"""The headline post: an incident's summary message in the central channel (SPEC §6.3).

It is re-rendered whole from the incident every time and sent with ``chat.update``, so it can never
show a mix of old and new values.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from core.models import IncidentStatus
from slack.block_kit import Block, document_url, escape, mention, mrkdwn, plain
from slack.flows.headline import ids
from slack.flows.lifecycle.blocks import held_roles_text, status_menu, status_text
from slack.flows.private.blocks import private_headline
from slack.flows.updates.blocks import headline_update_line

if TYPE_CHECKING:
    from core.models import Incident
    from slack.flows.comms_channel.models import CommsChannel
    from slack.flows.updates.schedule import UpdateTimes

# The stable part of the buttons block's id; the rest follows its content (``_with_id``).
ACTIONS_BLOCK_ID = "incident-actions"

DRILL_LABEL = "🧪 *Drill*"

# How the fallback text (notifications, screen readers) says what state the incident is in.
STATUS_PHRASES = {
    IncidentStatus.TRIAGE: "is in triage",
    IncidentStatus.INVESTIGATING: "is being investigated",
    IncidentStatus.FIXING: "is being fixed",
    IncidentStatus.MONITORING: "is being monitored",
    IncidentStatus.RESOLVED: "is resolved",
    IncidentStatus.DECLINED: "was declined",
    IncidentStatus.MERGED: "was merged into another incident",
    IncidentStatus.REPORTED: "was reported after it was over",
}


def headline_blocks(
    incident: Incident,
    *,
    comms_channel: CommsChannel | None = None,
    site_url: str,
    extra_buttons: list[Block] | tuple[Block, ...] = (),
    updates: UpdateTimes | None = None,
) -> tuple[str, list[Block]]:
    """``(fallback text, blocks)`` of the headline post of ``incident``.

    ``extra_buttons`` (from ``@headline_button``: workflows, plugins) follow the built-in ones
    while the incident is live. ``updates``: when the last update was shared and the next is
    due (SPEC §15), shown while it is live (the caller reads them: this stays pure).

    A private incident's headline says only that it was declared (``private_headline``), and
    stays so whatever changes: the central channel is read by everyone.
    """
    if incident.private:
        return private_headline(incident)
    blocks: list[Block] = [
        _with_id("title", {"type": "section", "text": mrkdwn(_title(incident))}),
        _with_id("facts", {"type": "section", "fields": _facts(incident)}),
        _with_id("roles", {"type": "section", "text": mrkdwn(_roles(incident))}),
        _with_id("links", {"type": "section", "fields": _links(incident, comms_channel, site_url)}),
    ]
    if incident.is_live and updates is not None:
        line = headline_update_line(updates.last_at, updates.next_due)
        blocks.append(_with_id("updates", {"type": "context", "elements": [mrkdwn(line)]}))
    buttons = _buttons(incident, comms_channel)
    if buttons and incident.is_live:
        buttons.extend(extra_buttons)
        if menu := status_menu(incident):
            buttons.append(menu)
    if buttons:
        blocks.append(_with_id(ACTIONS_BLOCK_ID, {"type": "actions", "elements": buttons}))
    return _fallback_text(incident), blocks


def _with_id(prefix: str, block: Block) -> Block:
    """``block`` with the id ``<prefix>-<digest of its content>``.

    Slack's clients may keep showing a block whose id they have seen before, so a block whose
    content changes needs a new id on ``chat.update``; one that does not change keeps its id.
    The prefix says which block it is. Buttons are routed by their action ids, which never
    change, not by this id.
    """
    content = json.dumps(block, sort_keys=True, ensure_ascii=False).encode()
    return {**block, "block_id": f"{prefix}-{hashlib.sha256(content).hexdigest()[:12]}"}


def _title(incident: Incident) -> str:
    title = f"*{escape(incident.title)}*"
    return f"{DRILL_LABEL}: {title}" if incident.drill else title


def _fallback_text(incident: Incident) -> str:
    reporter = (
        f", reported by {mention(incident.reporter.external_id)}," if incident.reporter else ""
    )
    phrase = STATUS_PHRASES[incident.status]
    drill = "Drill: " if incident.drill else ""
    return f"{drill}Incident {incident.pk}{reporter} {phrase}: {escape(incident.title)}"


def _facts(incident: Incident) -> list[dict]:
    reporter = mention(incident.reporter.external_id) if incident.reporter else "unknown"
    severity = incident.severity_text.capitalize() if incident.severity_text else "not set"
    facts = [
        mrkdwn(f"🙋 *Reporter:* {reporter}"),
        mrkdwn(f"*Status:* {status_text(incident.status)}"),
        mrkdwn(f"{incident.severity_emoji} *Severity:* {severity}"),
    ]
    if incident.drill:
        facts.append(mrkdwn(f"{DRILL_LABEL}: a practice run, left out of the numbers"))
    return facts


def _roles(incident: Incident) -> str:
    """Every held role, in the roles' order; the lead is named even while nobody holds it."""
    held = held_roles_text(incident.roles_held)
    if incident.lead is None:
        held.insert(0, "Incident lead: not set")
    return "👩‍🚒 *Roles:* " + " · ".join(held)


def _links(incident: Incident, comms_channel: CommsChannel | None, site_url: str) -> list[dict]:
    url = document_url(incident.pk, site_url)
    links = [mrkdwn(f"📄 *Document:* <{url}|Incident {incident.pk}>")]
    if comms_channel is not None:
        links.append(mrkdwn(f"🗣️ *Comms channel:* <#{comms_channel.channel_id}>"))
    return links


def _buttons(incident: Incident, comms_channel: CommsChannel | None) -> list[Block]:
    """What can still be done from the headline.

    A live incident can get a comms channel (once), be edited and be closed, and has the Status
    menu. A report of something already over is closed from the start, but its reporter may
    still want to fix a field, so it keeps Edit. An incident that is over (resolved, declined,
    merged) is finished with in Slack: no buttons.
    """
    if not incident.is_live and incident.status != IncidentStatus.REPORTED:
        return []
    if incident.status == IncidentStatus.REPORTED:
        return [_edit_button(incident)]
    buttons = [_edit_button(incident), _close_button(incident)]
    if comms_channel is None:
        buttons.insert(0, _comms_channel_button(incident))
    return buttons


def _button(text: str, action_id: str, incident: Incident) -> Block:
    return {
        "type": "button",
        "text": plain(text),
        "action_id": action_id,
        "value": str(incident.pk),
    }


def _comms_channel_button(incident: Incident) -> Block:
    button = _button("🗣️ Create comms channel", ids.CREATE_COMMS_CHANNEL, incident)
    button["style"] = "primary"
    return button


def _edit_button(incident: Incident) -> Block:
    return _button("✏️ Edit", ids.EDIT_INCIDENT, incident)


def _close_button(incident: Incident) -> Block:
    button = _button("✅ Close", ids.CLOSE_INCIDENT, incident)
    button["confirm"] = {
        "title": plain("Close this incident?"),
        "text": mrkdwn(
            f"Incident {incident.pk} will be marked resolved, and its lead asked to complete "
            "the report."
        ),
        "confirm": plain("Close it"),
        "deny": plain("Not yet"),
        "style": "danger",
    }
    return button


# --- Texts -------------------------------------------------------------------------------------


def thanks(*, incident: Incident, headline_link: str) -> str:
    """The ephemeral note to the reporter where they typed ``/incident``."""
    if incident.report_only:
        return (
            f"Thanks for reporting it :pray: See {headline_link}, and add what you know to the "
            "report so others can learn from it."
        )
    return (
        f"Thanks for raising the incident :pray: Head over to {headline_link} to complete the "
        "report and/or help deal with the issue."
    )


def incident_not_found(value: str) -> str:
    return f"I couldn't find incident {escape(value)}; it may have been deleted."
