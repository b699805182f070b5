"""The "Report an incident" modal and its "Edit incident" twin (SPEC §6.1 and §6.7).

Their inputs are the rows of ``fields.FIELDS``, in order (the edit modal leaves out those it does
not show): a new field is one row in ``fields.py``, not a change here. Each input block's
``block_id`` is the same string as its element's ``action_id``, the field's name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack.block_kit import Block, input_block, plain
from slack.flows.declare import fields, ids
from slack.flows.declare.fields import Field

if TYPE_CHECKING:
    from core.access import Permission
    from core.models import Incident


def report_modal(
    *,
    text: str = "",
    channel_id: str = "",
    may: Callable[[Permission], bool] = lambda permission: True,
) -> dict[str, Any]:
    """The modal ``/incident [text]`` opens, prefilled from ``text`` (see ``_prefill``).

    ``channel_id`` (where the command was typed) travels in ``private_metadata`` so the reporter
    can be thanked there. A field that needs a permission is left out unless ``may`` grants it.
    """
    initial, hints = _prefill(text)
    return _modal(
        callback_id=ids.REPORT_MODAL,
        title="Report an incident",
        submit="Report",
        metadata={"channel_id": channel_id} if channel_id else {},
        blocks=[
            _input(field, initial.get(field.name), hint=hints.get(field.name, field.hint))
            for field in fields.FIELDS
            if field.permission is None or may(field.permission)
        ],
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


def _input(field: Field, initial: Any, *, hint: str | None = None) -> Block:
    """The field's input block, its element prefilled with ``initial``; ``hint`` replaces the
    field's own."""
    return input_block(
        field.name,
        field.label,
        field.element(initial),
        optional=field.optional,
        hint=field.hint if hint is None else hint,
    )


def _prefill(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The report modal's initial values and hints (by field name) for the command's ``text``.

    A text that fits is the title. A longer one cannot be prefilled whole (Slack refuses an
    ``initial_value`` longer than the input's ``max_length``), and a modal can show an error only
    once it is submitted. So nothing typed is lost and nothing is cut silently: the title gets
    the text cut between words, with an ellipsis, the Summary gets the text itself, and a hint
    under the title says so. The person can then reword the title; one still too long is
    refused on submission (``form.py``).
    """
    text = text.strip()
    title_limit = fields.TITLE_MAX_LENGTH
    if len(text) <= title_limit:
        return {fields.TITLE.name: text}, {}
    summary = shorten(text, fields.TEXT_INPUT_LIMIT)
    kept = "your whole text" if summary == text else "as much of your text as fits"
    hint = (
        f"Your text was longer than a title may be ({title_limit} characters), so the title "
        f"was shortened; {kept} is in the Summary below."
    )
    values = {fields.TITLE.name: shorten(text, title_limit), fields.SUMMARY.name: summary}
    return values, {fields.TITLE.name: hint}


def shorten(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters; else as many of its first words as fit
    with an ellipsis after them (a first word longer than that is cut: it has no boundary)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]  # room for the ellipsis
    if not text[limit - 1].isspace():  # the cut falls inside a word: leave that word out
        head = re.sub(r"\s*\S*$", "", head) or head
    return head.rstrip() + "…"


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
