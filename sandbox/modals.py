"""Trigger ids, response URLs and modal stacks, mixed into ``Workspace``.

A trigger id is good for one modal, within a few seconds of the click or command that issued it;
a response URL for a few posts within half an hour; each person has a stack of up to three modals.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from sandbox.blockids import with_ids
from sandbox.errors import SlackError
from sandbox.seed import APP_ID, BOT_ID, TEAM_ID

JsonDict = dict[str, Any]


class Modals:
    """Part of ``Workspace``: every method runs under its lock."""

    lock: Any
    counter: int
    trigger_ttl: float
    response_url_ttl: float
    response_url_uses: int
    triggers: dict[str, JsonDict]
    response_urls: dict[str, JsonDict]
    views: dict[str, JsonDict]
    stacks: dict[str, list[str]]

    def issue_trigger(self, user: str) -> str:
        with self.lock:
            trigger_id = f"{int(time.time())}.{self.counter + 1000000}.{secrets.token_hex(16)}"
            self.counter += 1
            self.triggers[trigger_id] = {"user": user, "issued": time.monotonic(), "used": False}
            return trigger_id

    def redeem_trigger(self, trigger_id: str) -> str:
        """The user a trigger id was issued to; it then cannot be used again."""
        with self.lock:
            trigger = self.triggers.get(trigger_id or "")
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger["used"]:
                raise SlackError("exchanged_trigger_id")
            if time.monotonic() - trigger["issued"] > self.trigger_ttl:
                raise SlackError("expired_trigger_id")
            trigger["used"] = True
            return str(trigger["user"])

    def issue_response_url(self, **context: Any) -> str:
        with self.lock:
            key = secrets.token_urlsafe(12)
            self.response_urls[key] = {**context, "issued": time.monotonic(), "uses": 0}
            return key

    def redeem_response_url(self, key: str) -> JsonDict:
        with self.lock:
            entry = self.response_urls.get(key)
            if entry is None:
                raise SlackError("invalid_url")
            if time.monotonic() - entry["issued"] > self.response_url_ttl:
                raise SlackError("expired_url")
            if entry["uses"] >= self.response_url_uses:
                raise SlackError("used_url")
            entry["uses"] += 1
            return entry

    # --- Views ---------------------------------------------------------------------------------

    def stack(self, user: str) -> list[JsonDict]:
        with self.lock:
            return [self.views[v] for v in self.stacks.get(user, []) if v in self.views]

    def find_view(self, view_id: str | None = None, external_id: str | None = None) -> JsonDict:
        with self.lock:
            if view_id:
                entry = self.views.get(view_id)
            else:
                entry = next(
                    (
                        e
                        for e in self.views.values()
                        if external_id and e["view"].get("external_id") == external_id
                    ),
                    None,
                )
            if entry is None:
                raise SlackError("not_found")
            return entry

    def open_view(self, user: str, view: JsonDict, *, push: bool = False) -> JsonDict:
        with self.lock:
            stack = self.stacks.setdefault(user, [])
            if not push:
                for old in stack:
                    self.views.pop(old, None)
                stack.clear()
            elif len(stack) >= 3:
                raise SlackError("push_limit_reached")
            external_id = view.get("external_id")
            if external_id and any(
                e["view"].get("external_id") == external_id for e in self.views.values()
            ):
                raise SlackError("duplicate_external_id")
            view_id = self.new_id("V")
            full = self._full_view(view, view_id, previous=stack[-1] if stack else None)
            full["root_view_id"] = stack[0] if stack else view_id
            entry = {"id": view_id, "user": user, "view": full, "errors": None}
            self.views[view_id] = entry
            stack.append(view_id)
            self.touch()
            return entry

    def update_view(self, entry: JsonDict, view: JsonDict, *, hash: str | None = None) -> JsonDict:
        with self.lock:
            if hash and hash != entry["view"]["hash"]:
                raise SlackError("hash_conflict")
            old = entry["view"]
            full = self._full_view(view, entry["id"], previous=old.get("previous_view_id"))
            full["root_view_id"] = old.get("root_view_id")
            full["state"]["values"] = _kept_values(old, full)
            entry["view"] = full
            entry["errors"] = None
            self.touch()
            return entry

    def close_view(self, entry: JsonDict, *, everything: bool = False) -> None:
        with self.lock:
            stack = self.stacks.get(entry["user"], [])
            if everything:
                closing = list(stack)
            else:
                closing = stack[stack.index(entry["id"]) :] if entry["id"] in stack else []
            for view_id in closing:
                stack.remove(view_id)
                self.views.pop(view_id, None)
            self.touch()

    def _full_view(self, view: JsonDict, view_id: str, *, previous: str | None) -> JsonDict:
        if view.get("type") not in ("modal", "home"):
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] must provide a valid view type [json-pointer:/view/type]"]
                },
            )
        if view["type"] == "modal" and not view.get("title"):
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] missing required field: title [json-pointer:/view]"]
                },
            )
        if len(json.dumps(view)) > 250_000:
            raise SlackError("view_too_large")
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": with_ids(view.get("blocks")) or [],
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "external_id": view.get("external_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close")),
            "notify_on_close": bool(view.get("notify_on_close")),
            "root_view_id": view_id,
            "previous_view_id": previous,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }


def _kept_values(old: JsonDict, new: JsonDict) -> JsonDict:
    """What a person typed survives an update in inputs that keep their block and action ids,
    as in Slack (changing an input's ``block_id`` is how an app clears it)."""
    kept: JsonDict = {}
    previous = old.get("state", {}).get("values", {})
    for block in new.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        block_id = block.get("block_id")
        if not element or block_id not in previous:
            continue
        action_id = element.get("action_id")
        if action_id in previous[block_id]:
            kept[block_id] = {action_id: previous[block_id][action_id]}
    return kept
