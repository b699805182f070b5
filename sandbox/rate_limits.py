"""Slack's own rate limits, when the sandbox is asked to enforce them (off by default).

Slack counts calls per method, workspace and app in published tiers, and posts per channel:
about one message a second with short bursts (``slack-platform.md`` §5.3). A call over its limit
is answered HTTP 429 with ``Retry-After`` in whole seconds and ``{"ok": false, "error":
"ratelimited"}``, and does nothing.

Each limit is a token bucket: it holds at most ``burst`` calls and refills at ``per_second``.
Tiers hold a minute's worth (Slack: "all allow some bursting"); a channel holds a few posts. The
clock is the sandbox's to set, so tests can stop it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Calls a minute of each of Slack's tiers (the published floor of each).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# The tier of each method the sandbox answers (Slack's method pages). "Special" methods other
# than chat.postMessage (auth.test, chat.getPermalink) are generous there; Tier 4 stands for them.
METHOD_TIERS = {
    "auth.test": 4,
    "bookmarks.add": 2,
    "bookmarks.list": 3,
    "chat.delete": 3,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "conversations.archive": 2,
    "conversations.create": 2,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.rename": 2,
    "conversations.replies": 3,
    "conversations.setPurpose": 2,
    "conversations.setTopic": 2,
    "pins.add": 2,
    "pins.list": 2,
    "pins.remove": 2,
    "reactions.add": 3,
    "reactions.get": 3,
    "reactions.remove": 2,
    "usergroups.list": 2,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
}
DEFAULT_TIER = 3
# chat.postMessage: per channel, about one a second, with a short burst.
POST_METHOD = "chat.postMessage"
POSTS_PER_SECOND = 1.0
POST_BURST = 4


@dataclass
class Bucket:
    burst: float
    per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Spend one call: 0 when it may go ahead, otherwise the seconds until it may."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class RateLimits:
    """Slack's limits for one app in one workspace; ``enabled`` switches them on and off."""

    def __init__(self, *, enabled: bool = False, clock: Callable[[], float] = time.monotonic):
        self.enabled = enabled
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def retry_after(self, method: str, params: dict) -> int | None:
        """``Retry-After`` (whole seconds, at least 1) for a call over its limit, else None."""
        if not self.enabled:
            return None
        key, burst, per_second = self._limit(method, params)
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(burst, per_second, burst, now)
            wait = bucket.take(now)
        return max(1, math.ceil(wait)) if wait else None

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    @staticmethod
    def _limit(method: str, params: dict) -> tuple[tuple[str, str], float, float]:
        if method == POST_METHOD:
            return (method, str(params.get("channel") or "")), POST_BURST, POSTS_PER_SECOND
        per_minute = TIER_PER_MINUTE[METHOD_TIERS.get(method, DEFAULT_TIER)]
        return (method, ""), per_minute, per_minute / 60
