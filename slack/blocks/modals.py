"""The "Report an incident" modal and its "Edit incident" twin (SPEC §6.1 and §6.7).

Each input block's ``block_id`` is the same string as its element's ``action_id`` (the ids in
``slack.ids``): submissions are read by action id, and validation errors must be keyed by block
id, so keeping them equal means a field and its error can never drift apart.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from core.models import Severity
from core.models.incident import SEVERITY_EMOJI, TITLE_MAX_LENGTH
from slack import ids
from slack.blocks import Block, plain

if TYPE_CHECKING:
    from core.models import Incident

# Slack refuses a plain_text_input whose max_length is above this.
TEXT_INPUT_LIMIT = 3000

LIVE = "live"
REPORT = "report"
REPORT_KIND_LABELS = {
    LIVE: "Yes, it's happening now",
    REPORT: "No, I'm reporting something that is already over",
}


def report_modal(*, title: str = "", channel_id: str = "") -> dict[str, Any]:
    """The modal ``/incident [text]`` opens, its title prefilled with ``text``.

    ``channel_id`` (where the command was typed) travels in ``private_metadata`` so the reporter
    can be thanked there.
    """
    blocks = [
        _title_input(title),
        _report_kind_input(),
        *_detail_inputs(summary="", impact="", lead_id=None, severity=None),
    ]
    return _modal(
        callback_id=ids.REPORT_MODAL,
        title="Report an incident",
        submit="Report",
        metadata={"channel_id": channel_id} if channel_id else {},
        blocks=blocks,
    )


def edit_modal(incident: Incident) -> dict[str, Any]:
    """The same fields, prefilled from ``incident``.

    ``private_metadata`` carries the incident id and a fingerprint of each value shown, so that
    saving changes only the fields this person edited: a field someone else changed meanwhile
    (with ``@incident severity``, say) is not put back to what the modal showed.
    """
    shown = {
        "title": incident.title,
        "summary": incident.summary,
        "impact": incident.impact,
        "lead": incident.lead.external_id if incident.lead else None,
        "severity": incident.severity,
    }
    blocks = [
        _title_input(incident.title),
        *_detail_inputs(
            summary=incident.summary,
            impact=incident.impact,
            lead_id=shown["lead"],
            severity=incident.severity,
        ),
    ]
    return _modal(
        callback_id=ids.EDIT_MODAL,
        title=f"Edit incident {incident.pk}"[:24],
        submit="Save",
        metadata={
            "incident_id": incident.pk,
            "shown": {name: fingerprint(value) for name, value in shown.items()},
        },
        blocks=blocks,
    )


def fingerprint(value: object) -> str:
    """A short digest of a field's value; ``None`` and empty are the same (an empty input)."""
    text = "" if value is None else str(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_metadata(private_metadata: str) -> dict[str, Any]:
    """What ``_modal`` put in ``private_metadata``; empty when it is missing or not ours."""
    try:
        metadata = json.loads(private_metadata or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


# --- Pieces ------------------------------------------------------------------------------------


def _modal(
    *, callback_id: str, title: str, submit: str, metadata: dict[str, Any], blocks: list[Block]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


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


def _text_element(initial: str, *, placeholder: str, multiline: bool, max_length: int) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
        "placeholder": plain(placeholder),
    }
    if initial:  # Slack rejects an empty initial_value
        element["initial_value"] = initial
    return element


def _title_input(title: str) -> Block:
    # A slash command's text can be longer than a title may be; prefill what fits.
    element = _text_element(
        title.strip()[:TITLE_MAX_LENGTH],
        placeholder="What's happened, in a sentence?",
        multiline=False,
        max_length=TITLE_MAX_LENGTH,
    )
    return input_block(ids.TITLE_INPUT, "Title", element)


def _report_kind_input() -> Block:
    options = [_option(text, value) for value, text in REPORT_KIND_LABELS.items()]
    element = {"type": "radio_buttons", "options": options, "initial_option": options[0]}
    return input_block(ids.REPORT_KIND_INPUT, "Is this a live incident?", element)


def _detail_inputs(
    *, summary: str, impact: str, lead_id: str | None, severity: int | None
) -> list[Block]:
    summary_element = _text_element(
        summary,
        placeholder="Can you share any more details?",
        multiline=True,
        max_length=TEXT_INPUT_LIMIT,
    )
    impact_element = _text_element(
        impact,
        placeholder="Who or what might be affected?",
        multiline=True,
        max_length=TEXT_INPUT_LIMIT,
    )
    return [
        input_block(ids.SUMMARY_INPUT, "Summary", summary_element, optional=True),
        input_block(
            ids.IMPACT_INPUT,
            "Impact",
            impact_element,
            optional=True,
            hint="Think about affected people, systems and processes.",
        ),
        input_block(ids.LEAD_INPUT, "Lead", _lead_element(lead_id), optional=True),
        input_block(ids.SEVERITY_INPUT, "Severity", _severity_element(severity), optional=True),
    ]


def _lead_element(lead_id: str | None) -> Block:
    element: Block = {"type": "users_select", "placeholder": plain("Who is leading?")}
    if lead_id:
        element["initial_user"] = lead_id
    return element


def _severity_element(severity: int | None) -> Block:
    options = {
        member.value: _option(f"{SEVERITY_EMOJI[member]} {member.label.capitalize()}", member.value)
        for member in Severity
    }
    element: Block = {
        "type": "static_select",
        "placeholder": plain("How bad is it?"),
        "options": list(options.values()),
    }
    if severity in options:
        element["initial_option"] = options[severity]
    return element


def _option(text: str, value: object) -> Block:
    return {"text": plain(text), "value": str(value)}
