"""The ids Slack gives blocks and elements that come without them.

Slack names every block of a stored message or view: a ``block_id`` (and an interactive element's
``action_id``) left out is generated when the message is stored, and that same id comes back in
``block_actions``. The page and the server both read the stored blocks, so a click on any element
is found by the ids they agree on.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

JsonDict = dict[str, Any]

# Slack's generated ids are short random strings such as "x3Qp=".
ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 5


def with_ids(blocks: list[JsonDict] | None) -> list[JsonDict] | None:
    """A copy of ``blocks`` in which every block has a ``block_id`` unique in the list."""
    if not blocks:
        return blocks
    named = copy.deepcopy(blocks)
    taken = {b["block_id"] for b in named if isinstance(b, dict) and b.get("block_id")}
    for block in named:
        if not isinstance(block, dict):
            continue
        if not block.get("block_id"):
            block["block_id"] = _fresh(taken)
        _name_elements(block)
    return named


def _name_elements(block: JsonDict) -> None:
    elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
    elements += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
    # Images are the one non-interactive accessory: Slack gives them no action_id.
    interactive = [e for e in elements if isinstance(e, dict) and e.get("type") != "image"]
    taken = {e["action_id"] for e in interactive if e.get("action_id")}
    for element in interactive:
        if not element.get("action_id"):
            element["action_id"] = _fresh(taken)


def _fresh(taken: set[str]) -> str:
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))
        if candidate not in taken:
            taken.add(candidate)
            return candidate
