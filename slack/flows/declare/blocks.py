"""The "Report an incident" modal and its "Edit incident" twin (SPEC §6.1 and §6.7).

Their inputs are the rows of ``fields.FIELDS``, in order (the edit modal leaves out those it does
not show): a new field is one row in ``fields.py``, not a change here. Each input block's
``block_id`` is the same string as its element's ``action_id``, the field's name.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from slack.block_kit import Block, input_block, plain
from slack.flows.declare import fields, ids
from slack.flows.declare.fields import Field

if TYPE_CHECKING:
    from core.models import Incident


def report_modal(*, title: str = "", channel_id: str = "") -> dict[str, Any]:
    """The modal ``/incident [text]`` opens, its title prefilled with ``text``.

    ``channel_id`` (where the command was typed) travels in ``private_metadata`` so the reporter
    can be thanked there.
    """
    initial = {fields.TITLE.name: title}
    return _modal(
        callback_id=ids.REPORT_MODAL,
        title="Report an incident",
        submit="Report",
        metadata={"channel_id": channel_id} if channel_id else {},
        blocks=[_input(field, initial.get(field.name)) for field in fields.FIELDS],
    )


def edit_modal(incident: Incident) -> dict[str, Any]:
    """The same fields (those an edit may change), prefilled from ``incident``.

    ``private_metadata`` carries the incident id and a fingerprint of each value shown, so that
    saving changes only the fields this person edited: a field someone else changed meanwhile
    (with ``@incident severity``, say) is not put back to what the modal showed.
    """
    shown = {field.name: field.current(incident) for field in fields.EDIT_FIELDS}
    return _modal(
        callback_id=ids.EDIT_MODAL,
        title=f"Edit incident {incident.pk}"[:24],
        submit="Save",
        metadata={
            "incident_id": incident.pk,
            "shown": {name: fingerprint(value) for name, value in shown.items()},
        },
        blocks=[_input(field, shown[field.name]) for field in fields.EDIT_FIELDS],
    )


def fingerprint(value: object) -> str:
    """A short digest of a field's value; ``None`` and empty are the same (an empty input)."""
    text = "" if value is None else str(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _input(field: Field, initial: Any) -> Block:
    """The field's input block, its element prefilled with ``initial``."""
    return input_block(
        field.name, field.label, field.element(initial), optional=field.optional, hint=field.hint
    )


# --- Texts -------------------------------------------------------------------------------------


def usage(*, bot_name: str) -> str:
    """The answer to ``/incident help``."""
    bot = f"@{bot_name.lstrip('@')}"
    return (
        "*Declaring an incident*\n"
        "• `/incident <what's happening>` opens a form to report it, with the title filled in "
        "from your text. You can also report something that is already over.\n"
        "• `/incident` on its own opens the same form, empty.\n"
        "• `/incident help` shows this message.\n"
        "Once reported, the incident gets a headline in the incidents channel, with buttons to "
        "create a comms channel, edit it and close it.\n"
        f"In an incident's comms channel, `{bot} help` lists what the bot can do there."
    )


def modal_failed(*, what: str, reason: str) -> str:
    """Why a form could not be opened, with what to do about it."""
    return f":warning: I couldn't open {what}: {reason} Please try again."
