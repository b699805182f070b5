"""A channel history for the stand-in Slack: what ``chat.postMessage`` stored, read back by
``conversations.history`` (newest first, with metadata, thread replies left out) and
``conversations.replies`` (one thread, parent first), as Slack keeps it."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

JsonDict = dict[str, Any]


class ChannelHistory:
    """Install with ``ChannelHistory(fake_slack)``; ``slow_answers`` stores a post, then answers
    it only after ``answer_after`` seconds (so a client with a shorter timeout loses the answer)."""

    def __init__(self, fake_slack: Any, *, slow_answers: int = 0, answer_after: float = 1.0):
        self.messages: dict[str, list[JsonDict]] = {}
        self._slow_answers = slow_answers
        self._answer_after = answer_after
        self._lock = threading.Lock()
        self._clock = itertools.count(1)
        fake_slack.on("chat.postMessage", self._post)
        fake_slack.on("conversations.history", self._history)
        fake_slack.on("conversations.replies", self._replies)

    def posted(self, channel: str) -> list[JsonDict]:
        """The channel's messages, oldest first."""
        return list(self.messages.get(channel, []))

    def _post(self, params: JsonDict) -> JsonDict:
        with self._lock:
            ts = f"{1_800_000_000 + next(self._clock)}.000100"
            message = {
                "type": "message",
                "ts": ts,
                "text": params.get("text", ""),
                "blocks": params.get("blocks") or [],
                "bot_id": "BBOT",
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            if params.get("metadata"):
                message["metadata"] = params["metadata"]
            self.messages.setdefault(params["channel"], []).append(message)
            slow = self._slow_answers > 0
            self._slow_answers -= 1 if slow else 0
        if slow:
            time.sleep(self._answer_after)
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _history(self, params: JsonDict) -> JsonDict:
        oldest = float(params.get("oldest") or 0)
        messages = [
            m
            for m in self.posted(params["channel"])
            if float(m["ts"]) > oldest and m.get("thread_ts", m["ts"]) == m["ts"]
        ]
        return {"ok": True, "messages": list(reversed(messages)), "has_more": False}

    def _replies(self, params: JsonDict) -> JsonDict:
        root = params["ts"]
        thread = [
            m for m in self.posted(params["channel"]) if root in (m["ts"], m.get("thread_ts"))
        ]
        return {"ok": True, "messages": thread, "has_more": False}
