"""What ``@incident statuspage`` shows: the button, the modal (loading, the form, or why not) and
the channel's notice of a change.

Each input's ``block_id`` equals its element's ``action_id``, as in the report modal, so a
submission is read by action id and its errors are keyed by block id with the same string.
"""

from __future__ import annotations

import json
from typing import Any

from slack.block_kit import Block, escape, input_block, mrkdwn, plain

OPEN_BUTTON = "statuspage-open-button"
MODAL = "statuspage-modal"
NAME_INPUT = "statuspage_name"
STATUS_INPUT = "statuspage_status"
MESSAGE_INPUT = "statuspage_message"
IMPACT_INPUT = "statuspage_impact"
COMPONENT_INPUT_PREFIX = "statuspage_component:"

STATUSES = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
# How a closed Statuspage incident's status reads in a sentence.
CLOSED_WORDS = {
    "resolved": "resolved",
    "postmortem": "resolved (its postmortem is under way)",
    "completed": "completed",
}
IMPACTS = {"none": "None", "minor": "Minor", "major": "Major", "critical": "Critical"}
COMPONENT_STATUSES = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}

NAME_MAX_LENGTH = 255  # Statuspage's limit on an incident's name
MESSAGE_MAX_LENGTH = 3000  # Slack's limit on a text input (Statuspage takes up to 25,000)
# A modal holds at most 100 blocks; the other fields and a note take the rest.
MAX_COMPONENTS = 90


def prompt_message(
    incident_id: int, *, linked_name: str = "", linked_status: str = "", shortlink: str = ""
) -> tuple[str, list[Block]]:
    """The answer to ``@incident statuspage``: where things stand and a button to change it."""
    if linked_name:
        label = "Update Statuspage"
        text = (
            f"Statuspage shows *{escape(linked_name)}* as "
            f"*{STATUSES.get(linked_status, linked_status)}*{_link(shortlink)}."
        )
    else:
        label = "Create Statuspage incident"
        text = "Nothing is on the status page about this incident yet."
    button = {
        "type": "button",
        "text": plain(label),
        "action_id": OPEN_BUTTON,
        "value": str(incident_id),
    }
    return text, [{"type": "section", "text": mrkdwn(text), "accessory": button}]


def closed_text(name: str, status: str, shortlink: str) -> str:
    """Why a resolved Statuspage incident is not offered for change."""
    return (
        f"The Statuspage incident *{escape(name)}* is {CLOSED_WORDS.get(status, status)}"
        f"{_link(shortlink)}, so it can't be changed from here."
    )


def loading_modal(incident_id: int) -> dict[str, Any]:
    """Opened at once on the click (the trigger lasts 3 s); the form replaces it."""
    return _modal(
        incident_id,
        blocks=[
            {"type": "section", "text": mrkdwn(":hourglass_flowing_sand: Loading components…")}
        ],
    )


def problem_modal(incident_id: int, text: str) -> dict[str, Any]:
    """Shown instead of the form when it cannot be offered; no submit button."""
    return _modal(incident_id, blocks=[{"type": "section", "text": mrkdwn(text)}])


def form_modal(
    *,
    incident_id: int,
    channel_id: str,
    name: str,
    status: str,
    impact: str,
    components: list[tuple[str, str, str]],
    creating: bool,
) -> dict[str, Any]:
    """The form: name, status, message, impact, and ``components`` as (id, name, status)."""
    blocks: list[Block] = [
        input_block(NAME_INPUT, "Incident name", _text(name[:NAME_MAX_LENGTH], NAME_MAX_LENGTH)),
        input_block(STATUS_INPUT, "Status", _select(STATUSES, status)),
        input_block(
            MESSAGE_INPUT,
            "Message",
            _text("", MESSAGE_MAX_LENGTH, multiline=True, placeholder="What are people seeing?"),
            optional=not creating,
            hint="Shown on the status page as this update.",
        ),
        input_block(IMPACT_INPUT, "Impact", _select(IMPACTS, impact)),
    ]
    blocks.extend(
        input_block(
            component_input(component_id), component_name[:2000], _select(COMPONENT_STATUSES, state)
        )
        for component_id, component_name, state in components[:MAX_COMPONENTS]
    )
    if len(components) > MAX_COMPONENTS:
        note = f"Only the first {MAX_COMPONENTS} of {len(components)} components fit here."
        blocks.append({"type": "context", "elements": [mrkdwn(note)]})
    view = _modal(incident_id, blocks=blocks, channel_id=channel_id)
    view["submit"] = plain("Create" if creating else "Update")
    return view


def component_input(component_id: str) -> str:
    return f"{COMPONENT_INPUT_PREFIX}{component_id}"


def change_notice(
    *, user_id: str, created: bool, name: str, shortlink: str, changes: list[str], message: str
) -> str:
    """What the incident channel is told about a change on the status page."""
    verb = "posted" if created else "updated"
    lines = [f":mega: <@{user_id}> {verb} *{escape(name)}* on Statuspage{_link(shortlink)}."]
    lines.extend(f"• {change}" for change in changes)
    if message:
        lines.append("> " + escape(message).replace("\n", "\n> "))
    return "\n".join(lines)


# --- Pieces ------------------------------------------------------------------------------------


def _modal(incident_id: int, *, blocks: list[Block], channel_id: str = "") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": plain("Statuspage"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"incident_id": incident_id, "channel_id": channel_id}),
        "blocks": blocks,
    }


def _link(shortlink: str) -> str:
    return f" (<{shortlink}|status page>)" if shortlink else ""


def _text(
    initial: str, max_length: int, *, multiline: bool = False, placeholder: str = ""
) -> Block:
    element: Block = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if placeholder:
        element["placeholder"] = plain(placeholder)
    if initial:  # Slack rejects an empty initial_value
        element["initial_value"] = initial
    return element


def _select(labels: dict[str, str], initial: str) -> Block:
    options = {value: {"text": plain(text), "value": value} for value, text in labels.items()}
    element: Block = {"type": "static_select", "options": list(options.values())}
    if initial in options:
        element["initial_option"] = options[initial]
    return element
