"""The sandbox workspace: users, channels, messages, views, trigger ids and response URLs.

Everything lives in plain dicts shaped like Slack's own objects, so the Web API can answer with
them almost as they are and the state file is plain JSON. One re-entrant lock guards it all; every
change bumps ``seq`` (the control API's long-poll waits on it) and asks for a save.

What the workspace does is what Slack does whoever asks: the Web API (as the bot) and the control
API (as a person) both call these methods, and the events that follow are handed to ``emit``.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.blockids import with_ids
from sandbox.config import Config
from sandbox.errors import SlackError
from sandbox.modals import Modals
from sandbox.pins import PinsAndReactions
from sandbox.seed import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    GENERAL_CHANNEL_ID,
    INCIDENTS_CHANNEL_ID,
    SEED_PEOPLE,
    TEAM_DOMAIN,
    TEAM_ID,
    JsonDict,
    bot_user,
    new_channel,
    person,
)

logger = logging.getLogger(__name__)

EventSink = Callable[[JsonDict, "JsonDict | None"], None]

CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
SAVE_DELAY_SECONDS = 0.3


class Workspace(PinsAndReactions, Modals):
    """The sandbox's Slack workspace."""

    def __init__(
        self,
        *,
        channel_name: str = "incidents",
        bot_name: str = "incident",
        state_file: str = "",
        trigger_ttl: float = 3.0,
        response_url_ttl: float = 30 * 60,
        response_url_uses: int = 5,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.channel_name = channel_name
        self.bot_name = bot_name
        self.state_file = Path(state_file) if state_file else None
        self.trigger_ttl = trigger_ttl
        self.response_url_ttl = response_url_ttl
        self.response_url_uses = response_url_uses
        self.emit: EventSink = lambda event, channel: None
        # Where the sandbox's page is served: permalinks open it (the server sets it once bound).
        self.public_url = Config().public_url
        # The app has chat:write.public: it may post in public channels it has not joined.
        self.public_posting = True
        self.seq = 0
        self._save_timer: threading.Timer | None = None
        self._save_lock = threading.Lock()
        self._seed()
        if self.state_file and self.state_file.exists():
            self._load(self.state_file)

    # --- Seed, persistence, change notification -----------------------------------------------

    def _seed(self) -> None:
        self.team = {"id": TEAM_ID, "name": "Response Sandbox", "domain": TEAM_DOMAIN}
        self.bot = {
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "name": self.bot_name,
        }
        self.users: dict[str, JsonDict] = {p[0]: person(*p) for p in SEED_PEOPLE}
        self.users[BOT_USER_ID] = bot_user(self.bot_name)
        humans = [p[0] for p in SEED_PEOPLE]
        incidents = new_channel(INCIDENTS_CHANNEL_ID, self.channel_name, "U0ALICE")
        incidents["members"] = [*humans, BOT_USER_ID]
        incidents["purpose"] = {
            "value": "Where incidents are announced",
            "creator": "U0ALICE",
            "last_set": incidents["created"],
        }
        general = new_channel(GENERAL_CHANNEL_ID, "general", "U0ALICE")
        general["members"] = list(humans)
        self.channels: dict[str, JsonDict] = {c["id"]: c for c in (incidents, general)}
        self.messages: dict[str, list[JsonDict]] = {c: [] for c in self.channels}
        self.ephemerals: dict[str, list[JsonDict]] = {}
        self.views: dict[str, JsonDict] = {}  # view id -> {id, user, view}
        self.stacks: dict[str, list[str]] = {}  # user -> view ids, top last
        self.triggers: dict[str, JsonDict] = {}
        self.response_urls: dict[str, JsonDict] = {}
        self.usergroups: dict[str, JsonDict] = {}  # id -> usergroups.list's shape, with users
        self.paid_plan = True  # on a free plan usergroups.* fail (sandbox.usergroups)
        self.last_ts = 0
        self.counter = 0

    def reset(self) -> None:
        with self.lock:
            self._seed()
            self.touch()

    def touch(self) -> None:
        """Record a change: wake long-polls and save soon (several changes, one write)."""
        with self.lock:
            self.seq += 1
            self.changed.notify_all()
            if self.state_file and self._save_timer is None:
                self._save_timer = threading.Timer(SAVE_DELAY_SECONDS, self.save)
                self._save_timer.daemon = True
                self._save_timer.start()

    def wait_for_change(self, since: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.seq <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.changed.wait(remaining)
            return self.seq

    def snapshot(self) -> JsonDict:
        with self.lock:
            return copy.deepcopy(
                {
                    "users": self.users,
                    "channels": self.channels,
                    "messages": self.messages,
                    "usergroups": self.usergroups,
                    "last_ts": self.last_ts,
                    "counter": self.counter,
                }
            )

    def save(self) -> None:
        with self.lock:
            self._save_timer = None
            if not self.state_file:
                return
            data = self.snapshot()
        # Written beside the file, then renamed, so a crash never leaves half a file; one writer
        # at a time (the debounced save and the one at exit may meet).
        with self._save_lock:
            temporary = self.state_file.with_suffix(".tmp")
            temporary.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data))
            temporary.replace(self.state_file)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            logger.warning("sandbox state in %s is unreadable (%s); starting afresh", path, error)
            return
        self.users.update(data.get("users") or {})
        self.channels.update(data.get("channels") or {})
        self.messages.update(data.get("messages") or {})
        self.usergroups.update(data.get("usergroups") or {})
        # Files saved before the sandbox named blocks get their ids now, so their buttons answer.
        for message in (m for kept in self.messages.values() for m in kept):
            if message.get("blocks"):
                message["blocks"] = with_ids(message["blocks"])
        self.last_ts = int(data.get("last_ts") or 0)
        self.counter = int(data.get("counter") or 0)

    # --- Ids and lookups -----------------------------------------------------------------------

    def new_ts(self) -> str:
        """A message ts: seconds.microseconds, unique and increasing, like Slack's."""
        with self.lock:
            micros = max(self.last_ts + 100, int(time.time() * 1_000_000))
            self.last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}0{self.counter:07d}{secrets.token_hex(1).upper()}"

    def user(self, user_id: str) -> JsonDict:
        found = self.users.get(user_id or "")
        if found is None:
            raise SlackError("user_not_found")
        return found

    def humans(self) -> list[JsonDict]:
        return [u for u in self.users.values() if not u["is_bot"]]

    def channel(self, channel_id: str, *, as_user: str = BOT_USER_ID) -> JsonDict:
        """The channel, as ``as_user`` may see it (a private one they are not in is not found)."""
        found = self.channels.get(channel_id or "")
        if found is None or (found["is_private"] and as_user not in found["members"]):
            raise SlackError("channel_not_found")
        return found

    def channel_named(self, name: str) -> JsonDict | None:
        for channel in self.channels.values():
            if channel["name"] == name and not channel["is_im"]:
                return channel
        return None

    def channel_view(self, channel: JsonDict, *, as_user: str = BOT_USER_ID) -> JsonDict:
        """The channel object the Web API answers with."""
        shown = {k: v for k, v in channel.items() if k not in ("members", "bookmarks")}
        shown["is_member"] = as_user in channel["members"]
        shown["num_members"] = len(channel["members"])
        if channel["is_im"]:
            shown["user"] = next((m for m in channel["members"] if m != as_user), as_user)
        return copy.deepcopy(shown)

    def message(self, channel_id: str, ts: str) -> JsonDict:
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def permalink(self, channel_id: str, message: JsonDict) -> str:
        """Slack's link shape, on the sandbox's own page, which opens the channel at the message
        (a made-up slack.com address would lead nowhere)."""
        compact = message["ts"].replace(".", "")
        link = f"{self.public_url}/archives/{channel_id}/p{compact}"
        parent = message.get("thread_ts")
        if parent and parent != message["ts"]:
            link += f"?thread_ts={parent}&cid={channel_id}"
        return link

    # --- Channels ------------------------------------------------------------------------------

    def check_name(self, name: str) -> None:
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if self.channel_named(name) is not None:
            raise SlackError("name_taken")  # archived channels keep their names too

    def create_channel(self, name: str, *, creator: str, is_private: bool) -> JsonDict:
        with self.lock:
            self.check_name(name)
            channel = new_channel(self.new_id("C"), name, creator, is_private=is_private)
            self.channels[channel["id"]] = channel
            self.messages[channel["id"]] = []
            if not is_private:
                self.emit({"type": "channel_created", "channel": self._rename_shape(channel)}, None)
            self.join(channel, creator)
            return channel

    def open_dm(self, user_ids: list[str]) -> JsonDict:
        """The direct-message channel between these people, the same one every time."""
        members = sorted(set(user_ids))
        with self.lock:
            for channel in self.channels.values():
                if channel["is_im"] and sorted(channel["members"]) == members:
                    return channel
            other = next((m for m in members if m != BOT_USER_ID), members[0])
            channel = new_channel(self.new_id("D"), other, BOT_USER_ID, is_private=True)
            channel.update(is_im=True, is_channel=False, is_private=True, members=members)
            self.channels[channel["id"]] = channel
            self.messages[channel["id"]] = []
            self.touch()
            return channel

    def join(self, channel: JsonDict, user: str, *, inviter: str | None = None) -> None:
        with self.lock:
            if user in channel["members"]:
                raise SlackError("already_in_channel")
            channel["members"].append(user)
            event: JsonDict = {
                "type": "member_joined_channel",
                "user": user,
                "channel": channel["id"],
                "channel_type": "G" if channel["is_private"] else "C",
                "team": TEAM_ID,
            }
            if inviter:
                event["inviter"] = inviter
            self.emit(event, channel)
            text = f"<@{user}> has joined the channel"
            extra = {"inviter": inviter} if inviter else {}
            self.post(channel, user, text, subtype="channel_join", **extra)

    def leave(self, channel: JsonDict, user: str) -> None:
        """``user`` leaves (or is removed from) ``channel``: Slack's member_left_channel, and
        the "has left" message, as a join has its own."""
        with self.lock:
            if user not in channel["members"]:
                raise SlackError("not_in_channel")
            channel["members"].remove(user)
            self.emit(
                {
                    "type": "member_left_channel",
                    "user": user,
                    "channel": channel["id"],
                    "channel_type": "G" if channel["is_private"] else "C",
                    "team": TEAM_ID,
                },
                channel,
            )
            self.post(channel, user, f"<@{user}> has left the channel", subtype="channel_leave")

    def rename(self, channel: JsonDict, name: str, *, by: str) -> None:
        with self.lock:
            if channel["name"] == name:
                return
            self.check_name(name)
            channel["previous_names"].insert(0, channel["name"])
            channel["name"] = channel["name_normalized"] = name
            kind = "group_rename" if channel["is_private"] else "channel_rename"
            self.emit({"type": kind, "channel": self._rename_shape(channel)}, channel)
            self.post(channel, by, f"renamed the channel to #{name}", subtype="channel_name")

    def set_topic(self, channel: JsonDict, field: str, value: str, *, by: str) -> None:
        with self.lock:
            if len(value) > 250:
                raise SlackError("too_long")
            channel[field] = {"value": value, "creator": by, "last_set": int(time.time())}
            verb = "set the channel topic" if field == "topic" else "set the channel description"
            self.post(channel, by, f"{verb}: {value}", subtype=f"channel_{field}", **{field: value})

    def add_bookmark(self, channel: JsonDict, *, title: str, link: str, by: str) -> JsonDict:
        with self.lock:
            if not link.startswith(("http://", "https://")) or len(link) > 2048:
                raise SlackError("invalid_link")
            bookmark = {
                "id": self.new_id("Bk"),
                "channel_id": channel["id"],
                "title": title,
                "link": link,
                "emoji": "",
                "icon_url": None,
                "type": "link",
                "entity_id": None,
                "date_created": int(time.time()),
                "date_updated": 0,
                "rank": "U",
                "last_updated_by_user_id": by,
                "last_updated_by_team_id": TEAM_ID,
                "shortcut_id": None,
                "app_id": APP_ID if by == BOT_USER_ID else None,
            }
            channel["bookmarks"].append(bookmark)
            self.touch()
            return bookmark

    @staticmethod
    def _rename_shape(channel: JsonDict) -> JsonDict:
        return {
            "id": channel["id"],
            "name": channel["name"],
            "name_normalized": channel["name_normalized"],
            "created": channel["created"],
            "is_channel": channel["is_channel"],
            "is_mpim": False,
            "creator": channel["creator"],
        }

    # --- Messages ------------------------------------------------------------------------------

    def post(
        self,
        channel: JsonDict,
        user: str,
        text: str,
        *,
        blocks: list[JsonDict] | None = None,
        thread_ts: str | None = None,
        metadata: JsonDict | None = None,
        subtype: str | None = None,
        **extra: Any,
    ) -> JsonDict:
        """Store a message and send its events (the bot's own posts come back too)."""
        with self.lock:
            if channel["is_archived"]:
                raise SlackError("is_archived")
            parent = None
            if thread_ts:
                parent = self.message(channel["id"], thread_ts)
                thread_ts = parent.get("thread_ts") or parent["ts"]
                parent = self.message(channel["id"], thread_ts)
            message: JsonDict = {"type": "message", "ts": self.new_ts(), "user": user}
            if subtype:
                message["subtype"] = subtype
            if user == BOT_USER_ID:
                message.update(
                    bot_id=BOT_ID,
                    app_id=APP_ID,
                    bot_profile={"id": BOT_ID, "app_id": APP_ID, "name": self.bot_name},
                )
            message.update(text=text, team=TEAM_ID, **extra)
            if blocks:
                message["blocks"] = with_ids(blocks)
            if metadata:
                message["metadata"] = metadata
            if parent is not None:
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = parent.get("user")
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["reply_users"] = sorted({*parent.get("reply_users", []), user})
                parent["reply_users_count"] = len(parent["reply_users"])
                parent["latest_reply"] = message["ts"]
            self.messages.setdefault(channel["id"], []).append(message)
            self._emit_message(channel, message)
            self.touch()
            return message

    def _emit_message(self, channel: JsonDict, message: JsonDict) -> None:
        event = {
            **copy.deepcopy(message),
            "channel": channel["id"],
            "event_ts": message["ts"],
            "channel_type": _channel_type(channel),
        }
        if message.get("user") != BOT_USER_ID and not message.get("subtype"):
            event["client_msg_id"] = _client_msg_id()
            if f"<@{BOT_USER_ID}>" in message.get("text", ""):
                mention = {k: v for k, v in event.items() if k != "channel_type"}
                mention["type"] = "app_mention"
                self.emit(mention, channel)
        self.emit(event, channel)

    def update(
        self,
        channel: JsonDict,
        ts: str,
        *,
        by: str,
        text: str | None,
        blocks: list[JsonDict] | None,
    ) -> JsonDict:
        with self.lock:
            message = self.message(channel["id"], ts)
            if message.get("user") != by:
                raise SlackError("cant_update_message")
            previous = copy.deepcopy(message)
            if text is not None:
                message["text"] = text
            if blocks is not None:
                # Fields left out are kept; an empty list clears them, as on Slack.
                if blocks:
                    message["blocks"] = with_ids(blocks)
                else:
                    message.pop("blocks", None)
            message["edited"] = {"user": by, "ts": self.new_ts()}
            change_ts = message["edited"]["ts"]
            self.emit(
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "hidden": True,
                    "channel": channel["id"],
                    "ts": change_ts,
                    "event_ts": change_ts,
                    "channel_type": _channel_type(channel),
                    "message": copy.deepcopy(message),
                    "previous_message": previous,
                },
                channel,
            )
            self.touch()
            return message

    def delete(self, channel: JsonDict, ts: str) -> None:
        with self.lock:
            message = self.message(channel["id"], ts)
            self.messages[channel["id"]].remove(message)
            event_ts = self.new_ts()
            self.emit(
                {
                    "type": "message",
                    "subtype": "message_deleted",
                    "hidden": True,
                    "channel": channel["id"],
                    "ts": event_ts,
                    "event_ts": event_ts,
                    "deleted_ts": ts,
                    "channel_type": _channel_type(channel),
                    "previous_message": message,
                },
                channel,
            )
            self.touch()

    def post_ephemeral(
        self,
        channel_id: str,
        to_user: str,
        text: str,
        *,
        blocks: list[JsonDict] | None = None,
        thread_ts: str | None = None,
        author: str = BOT_USER_ID,
    ) -> JsonDict:
        """A message only ``to_user`` sees, never in history and with no event."""
        with self.lock:
            message: JsonDict = {
                "type": "message",
                "ts": self.new_ts(),
                "user": author,
                "text": text,
                "ephemeral": True,
                "to": to_user,
            }
            if author == BOT_USER_ID:
                message.update(bot_id=BOT_ID, app_id=APP_ID)
            if blocks:
                message["blocks"] = with_ids(blocks)
            if thread_ts:
                message["thread_ts"] = thread_ts
            self.ephemerals.setdefault(channel_id, []).append(message)
            self.touch()
            return message

    def ephemeral(self, channel_id: str, ts: str) -> JsonDict | None:
        for message in self.ephemerals.get(channel_id, []):
            if message["ts"] == ts:
                return message
        return None


def _channel_type(channel: JsonDict) -> str:
    if channel["is_im"]:
        return "im"
    return "group" if channel["is_private"] else "channel"


def _client_msg_id() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
