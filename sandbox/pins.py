"""Pins and reactions on messages, mixed into ``Workspace`` (its lock, messages and events)."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from sandbox.errors import SlackError

JsonDict = dict[str, Any]


class PinsAndReactions:
    """Part of ``Workspace``: every method runs under its lock and sends Slack's events."""

    lock: Any
    messages: dict[str, list[JsonDict]]

    def pin(self, channel: JsonDict, ts: str, *, by: str) -> None:
        with self.lock:
            message = self.message(channel["id"], ts)
            if channel["id"] in message.get("pinned_to", []):
                raise SlackError("already_pinned")
            message.setdefault("pinned_to", []).append(channel["id"])
            message["pinned_info"] = {"by": by, "created": int(time.time())}
            self.emit(self._pin_event("pin_added", channel, message, by), channel)
            self.touch()

    def unpin(self, channel: JsonDict, ts: str, *, by: str) -> None:
        with self.lock:
            message = self.message(channel["id"], ts)
            if channel["id"] not in message.get("pinned_to", []):
                raise SlackError("no_pin")
            message["pinned_to"].remove(channel["id"])
            if not message["pinned_to"]:
                del message["pinned_to"]
            info = message.pop("pinned_info", {})
            event = self._pin_event("pin_removed", channel, message, by, info)
            event["has_pins"] = bool(self.pins(channel["id"]))
            self.emit(event, channel)
            self.touch()

    def pins(self, channel_id: str) -> list[JsonDict]:
        return [
            m for m in self.messages.get(channel_id, []) if channel_id in m.get("pinned_to", [])
        ]

    def _pin_event(
        self,
        kind: str,
        channel: JsonDict,
        message: JsonDict,
        by: str,
        info: JsonDict | None = None,
    ) -> JsonDict:
        info = info or message.get("pinned_info") or {}
        created = int(info.get("created") or time.time())
        shown = {k: v for k, v in copy.deepcopy(message).items() if k != "pinned_info"}
        shown["permalink"] = self.permalink(channel["id"], message)
        shown.setdefault("pinned_to", [])
        return {
            "type": kind,
            "user": by,
            "channel_id": channel["id"],
            "item": {
                "type": "message",
                "channel": channel["id"],
                "created": created,
                "created_by": info.get("by", by),
                "message": shown,
            },
            "item_user": message.get("user"),
            "pin_count": len(self.pins(channel["id"])),
            "pinned_info": {"channel": channel["id"], "pinned_by": by, "pinned_ts": created},
            "event_ts": self.new_ts(),
        }

    def react(self, channel: JsonDict, ts: str, name: str, *, by: str) -> None:
        with self.lock:
            name = name.strip(":")
            if not name or not re.match(r"^[a-z0-9_+'-]+$", name):
                raise SlackError("invalid_name")
            message = self.message(channel["id"], ts)
            reactions = message.setdefault("reactions", [])
            reaction = next((r for r in reactions if r["name"] == name), None)
            if reaction is None:
                reaction = {"name": name, "users": [], "count": 0}
                reactions.append(reaction)
            if by in reaction["users"]:
                raise SlackError("already_reacted")
            reaction["users"].append(by)
            reaction["count"] = len(reaction["users"])
            self.emit(self._reaction_event("reaction_added", channel, message, name, by), channel)
            self.touch()

    def unreact(self, channel: JsonDict, ts: str, name: str, *, by: str) -> None:
        with self.lock:
            name = name.strip(":")
            message = self.message(channel["id"], ts)
            reactions = message.get("reactions", [])
            reaction = next((r for r in reactions if r["name"] == name), None)
            if reaction is None or by not in reaction["users"]:
                raise SlackError("no_reaction")
            reaction["users"].remove(by)
            reaction["count"] = len(reaction["users"])
            if not reaction["users"]:
                reactions.remove(reaction)
            if not reactions:
                message.pop("reactions", None)
            self.emit(self._reaction_event("reaction_removed", channel, message, name, by), channel)
            self.touch()

    def _reaction_event(
        self, kind: str, channel: JsonDict, message: JsonDict, name: str, by: str
    ) -> JsonDict:
        return {
            "type": kind,
            "user": by,
            "reaction": name,
            "item_user": message.get("user"),
            "item": {"type": "message", "channel": channel["id"], "ts": message["ts"]},
            "event_ts": self.new_ts(),
        }
