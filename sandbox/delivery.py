"""Sending to Response what Slack sends: signed slash commands, interactions and events.

Events go out on background threads, one queue per channel so that a channel's events arrive in
order, and are retried as Slack retries them (``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``)
when Response does not acknowledge them with a 2xx within the acknowledgement timeout. Slash
commands and interactions are sent once, by the person's own request: Slack never retries those.
Every attempt is recorded for ``/sandbox/deliveries``. While a Socket Mode client is connected,
each goes out as an envelope on its connection instead (``sandbox/socket_mode.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sandbox.config import Config
from sandbox.seed import APP_ID, BOT_USER_ID, TEAM_ID
from sandbox.socket_mode import Sent, SocketMode, envelope_payload

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
LOG_SIZE = 1000
# Events Slack sends only for conversations the bot is a member of.
MEMBERS_ONLY = {
    "message",
    "app_mention",
    "pin_added",
    "pin_removed",
    "member_joined_channel",
    "member_left_channel",
    "reaction_added",
    "reaction_removed",
    "group_rename",
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's ``v0`` signature of a body (slack-platform.md §1)."""
    basestring = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    """What Response answered to one delivery attempt."""

    status: int | None
    body: bytes = b""
    content_type: str = ""
    latency_ms: int = 0
    error: str | None = None  # http_timeout, connection_failed, http_error
    headers: dict[str, str] = field(default_factory=dict)
    transport: str = "http"

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Delivery:
    def __init__(self, config: Config, subscriptions: list[str]) -> None:
        self.config = config
        self.subscriptions = set(subscriptions)
        self.log: deque[JsonDict] = deque(maxlen=LOG_SIZE)
        self._lock = threading.Lock()
        self._queues: dict[str, deque[JsonDict]] = {}
        self._draining: set[str] = set()
        self._ids = itertools.count(1)
        self.on_record = lambda: None  # the workspace's change signal, wired by the server
        self.socket_mode: SocketMode | None = None  # wired by the server

    # --- Events --------------------------------------------------------------------------------

    def emit(self, event: JsonDict, channel: JsonDict | None) -> None:
        """Queue an event for Response if its app subscribes to it and may see it."""
        if not self._subscribed(event, channel):
            return
        now = time.time()
        event.setdefault("event_ts", f"{now:.6f}")
        envelope = {
            "token": "sandbox-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(8)}",
        }
        key = channel["id"] if channel else ""
        with self._lock:
            self._queues.setdefault(key, deque()).append(envelope)
            if key in self._draining:
                return
            self._draining.add(key)
        threading.Thread(target=self._drain, args=(key,), daemon=True, name=f"events-{key}").start()

    def _subscribed(self, event: JsonDict, channel: JsonDict | None) -> bool:
        kind = event["type"]
        name = kind
        if kind == "message":
            name = "message." + {"channel": "channels", "group": "groups", "im": "im"}.get(
                event.get("channel_type", "channel"), "mpim"
            )
        if name not in self.subscriptions:
            return False
        if kind in MEMBERS_ONLY:
            return channel is not None and BOT_USER_ID in channel["members"]
        return True

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(key)
                if not queue:
                    self._draining.discard(key)
                    return
                envelope = queue.popleft()
            try:
                self._deliver_event(envelope)
            except Exception:  # a broken delivery must not stop the channel's queue
                logger.exception("delivering %s failed", envelope["event_id"])

    def _deliver_event(self, envelope: JsonDict) -> None:
        body = json.dumps(envelope).encode()
        event = envelope["event"]
        summary = f"{event['type']}{'/' + event['subtype'] if event.get('subtype') else ''}"
        where = event.get("channel") or event.get("channel_id")
        if isinstance(where, str):
            summary += f" in {where}"
        retries = len(self.config.retry_delays)
        headers: dict[str, str] = {}
        for attempt in range(retries + 1):
            answer = self.post("/slack/event", body, "application/json", headers)
            self._record("event", summary, answer, attempt, event_id=envelope["event_id"])
            if answer.ok or answer.headers.get("x-slack-no-retry") == "1" or attempt == retries:
                return
            time.sleep(self.config.retry_delays[attempt])
            headers = {
                "X-Slack-Retry-Num": str(attempt + 1),
                "X-Slack-Retry-Reason": answer.error or "http_error",
            }

    # --- Commands and interactions -------------------------------------------------------------

    def send_command(self, form: str, summary: str) -> Answer:
        answer = self.post("/slack/slash_command", form.encode(), _FORM, {})
        self._record("command", summary, answer, 0)
        return answer

    def send_interaction(self, form: str, summary: str) -> Answer:
        answer = self.post("/slack/action", form.encode(), _FORM, {})
        self._record("interaction", summary, answer, 0)
        return answer

    # --- Transport -----------------------------------------------------------------------------

    def post(self, path: str, body: bytes, content_type: str, extra: dict[str, str]) -> Answer:
        """One delivery to Response: an envelope on a Socket Mode connection if one is open,
        otherwise a signed POST, given up on after the acknowledgement timeout."""
        if self.socket_mode is not None:
            sent = self.socket_mode.send(
                path,
                envelope_payload(path, body),
                retry_attempt=int(extra.get("X-Slack-Retry-Num") or 0),
                retry_reason=extra.get("X-Slack-Retry-Reason", ""),
            )
            if sent is not None:
                return _socket_answer(sent)
        target = urlsplit(self.config.response_url)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(self.config.signing_secret, timestamp, body),
            **extra,
        }
        started = time.monotonic()
        connection = http.client.HTTPConnection(
            target.hostname or "127.0.0.1", target.port or 80, timeout=self.config.ack_timeout
        )
        try:
            connection.request("POST", target.path.rstrip("/") + path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError:
            return Answer(None, latency_ms=_since(started), error="http_timeout")
        except (OSError, http.client.HTTPException):
            return Answer(None, latency_ms=_since(started), error="connection_failed")
        finally:
            connection.close()
        answer = Answer(
            response.status,
            data,
            response.getheader("Content-Type") or "",
            _since(started),
            headers={k.lower(): v for k, v in response.getheaders()},
        )
        if not answer.ok:
            answer.error = "http_error"
        return answer

    def _record(self, kind: str, summary: str, answer: Answer, attempt: int, **extra: Any) -> None:
        entry = {
            "id": next(self._ids),
            "kind": kind,
            "summary": summary,
            "status": answer.status,
            "latency_ms": answer.latency_ms,
            "attempt": attempt,
            "error": answer.error,
            "transport": answer.transport,
            "at": time.time(),
            **extra,
        }
        with self._lock:
            self.log.append(entry)
        self.on_record()

    def records(self) -> list[JsonDict]:
        with self._lock:
            return list(self.log)

    def pending(self) -> int:
        """Events queued or being delivered (retries included): 0 once Slack has no more to send."""
        with self._lock:
            return sum(len(queue) for queue in self._queues.values()) + len(self._draining)

    def clear(self) -> None:
        with self._lock:
            self.log.clear()


_FORM = "application/x-www-form-urlencoded"


def _socket_answer(sent: Sent) -> Answer:
    """An acknowledgement as if it were an HTTP answer; no acknowledgement in time, a timeout."""
    if not sent.acknowledged:
        error = "ack_held_back" if sent.ack_held_back else "timeout"
        return Answer(None, latency_ms=sent.latency_ms, error=error, transport="socket")
    body = json.dumps(sent.payload).encode() if sent.payload else b""
    return Answer(200, body, "application/json", sent.latency_ms, transport="socket")


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
