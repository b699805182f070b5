"""Socket Mode as Slack speaks it (slack-platform.md §8, SPEC §17), on the sandbox's own port.

``apps.connections.open`` with the app-level token hands out a one-use ``ws://`` URL. On a
connection the sandbox sends ``hello``; while at least one client is connected, what would have
been POSTed to Response goes out as an envelope instead (``slash_commands``, ``interactive``,
``events_api``) to one connection in turn, and the sandbox waits for the acknowledgement that
carries its ``envelope_id`` (and the answer's ``payload``). An event whose acknowledgement does not
come in time is sent again, as Slack does, by ``Delivery``'s retries: the envelope then carries
``retry_attempt`` and ``retry_reason``. Once an app has connected, Slack no longer POSTs to it:
an envelope due while it is between connections waits for the next one (an event longer than a
command or a click, see ``EVENT_WAITS_FOR_A_CONNECTION``), and is otherwise not acknowledged.
The control API can ask every client to reconnect (a ``disconnect`` envelope, then the old
connection is closed), drop the connections outright, or hold back the acknowledgements of the
next few events (received but taken as too late, so Slack sends those events again).

The WebSocket server is ``websockets``' threaded one, on a free port beside the HTTP server.
"""

from __future__ import annotations

import contextlib
import http
import itertools
import json
import logging
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from sandbox.seed import APP_ID

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
APP_TOKEN = "xapp-sandbox"  # noqa: S105 (a local stand-in's; Response's default against it)
# The envelope type for each of Response's HTTP endpoints.
KINDS = {
    "/slack/slash_command": "slash_commands",
    "/slack/action": "interactive",
    "/slack/event": "events_api",
}
# Slack closes a connection it asked to refresh a little after asking; the client has reconnected.
CLOSE_AFTER_DISCONNECT = 1.0
# How long an event waits for a Socket Mode app that is between connections. Slack retries an
# event over minutes (1 min, then 5), so an app that reconnects in seconds misses none; the
# sandbox retries within seconds, and holds an event this long instead. A command or a click
# waits only the acknowledgement timeout: Slack shows the person an error after 3 s.
EVENT_WAITS_FOR_A_CONNECTION = 20.0


def app_token_from_environment() -> str:
    """The app-level token the sandbox accepts: Response's own ``SLACK_APP_TOKEN``."""
    return os.environ.get("SLACK_APP_TOKEN") or APP_TOKEN


def envelope_payload(path: str, body: bytes) -> JsonDict:
    """The payload of an envelope: the body the POST to ``path`` would carry, decoded."""
    if path == "/slack/event":
        return json.loads(body)
    form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    if path == "/slack/action":
        return json.loads(form["payload"])
    return form


@dataclass
class Acked:
    """What came back for one envelope: set once its acknowledgement arrives."""

    arrived: threading.Event = field(default_factory=threading.Event)
    payload: JsonDict | None = None
    held_back: bool = False  # its acknowledgement is to be taken as too late


@dataclass
class Client:
    """One open connection and what it has been sent."""

    id: int
    websocket: ServerConnection
    connected_at: float = field(default_factory=time.time)
    envelopes: int = 0


@dataclass
class Sent:
    """The outcome of one envelope: its answer, or None when it was not acknowledged in time."""

    envelope_id: str
    acknowledged: bool
    payload: JsonDict | None
    latency_ms: int
    ack_held_back: bool = False


class SocketMode:
    def __init__(self, host: str, ack_timeout: float, app_token: str = APP_TOKEN) -> None:
        self.host = host
        self.ack_timeout = ack_timeout
        self.app_token = app_token
        self.port = 0
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._clients: list[Client] = []
        self._pending: dict[str, Acked] = {}
        self._turn = itertools.count()
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self.connections_opened = 0
        self._acks_to_hold = 0
        self.acks_held = 0

    # --- Serving -------------------------------------------------------------------------------

    def serve(self) -> None:
        """Listen on a free port, on a background thread."""
        self._server = serve(
            self._handle,
            self.host,
            0,
            process_request=self._check_ticket,
            compression=None,
            # The client pings; Slack's own server answers pings and sends none of its own.
            ping_interval=None,
        )
        self.port = self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="socket-mode").start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    # --- apps.connections.open -----------------------------------------------------------------

    def connections_open(self, token: str | None) -> JsonDict:
        """The Web API method: a one-use URL for the app-level token, Slack's errors otherwise."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets.add(ticket)
        url = f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"
        return {"ok": True, "url": url}

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse a connection without a ticket handed out and not used yet."""
        ticket = (parse_qs(urlsplit(request.path).query).get("ticket") or [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(http.HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    # --- A connection --------------------------------------------------------------------------

    def _handle(self, websocket: ServerConnection) -> None:
        client = Client(next(self._ids), websocket)
        with self._lock:
            self._clients.append(client)
            self.connections_opened += 1
            count = len(self._clients)
            self._connected.notify_all()
        try:
            websocket.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": count,
                        "debug_info": {"host": "sandbox", "approximate_connection_time": 3600},
                        "connection_info": {"app_id": APP_ID},
                    }
                )
            )
            for message in websocket:
                self._acknowledged(message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)

    def _acknowledged(self, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            logger.warning("a Socket Mode client sent something that is not JSON")
            return
        if not isinstance(ack, dict):
            return
        with self._lock:
            waiting = self._pending.get(str(ack.get("envelope_id")))
        if waiting is None:
            logger.info("an acknowledgement for no envelope waiting: %s", ack.get("envelope_id"))
            return
        if waiting.held_back:
            return  # as if it came after the timeout
        payload = ack.get("payload")
        waiting.payload = payload if isinstance(payload, dict) else None
        waiting.arrived.set()

    # --- Envelopes -----------------------------------------------------------------------------

    def connected(self) -> bool:
        with self._lock:
            return bool(self._clients)

    def clients(self) -> list[JsonDict]:
        with self._lock:
            return [
                {"id": c.id, "connected_at": c.connected_at, "envelopes": c.envelopes}
                for c in self._clients
            ]

    def send(
        self, path: str, payload: JsonDict, retry_attempt: int = 0, retry_reason: str = ""
    ) -> Sent | None:
        """Send what would have gone to ``path`` as an envelope; None if no app ever connected
        (the delivery is then POSTed). The latency is from sending to the acknowledgement."""
        kind = KINDS[path]
        envelope_id = str(uuid.uuid4())
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            # Slack takes an answer in the acknowledgement for commands and interactions.
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        waiting = Acked()
        with self._lock:
            if not self._clients and not self.connections_opened:
                return None
            # Between two connections: wait for the client to be back, as Slack holds it.
            patience = EVENT_WAITS_FOR_A_CONNECTION if kind == "events_api" else self.ack_timeout
            if not self._connected.wait_for(lambda: self._clients, timeout=patience):
                return Sent(envelope_id, acknowledged=False, payload=None, latency_ms=0)
            client = self._clients[next(self._turn) % len(self._clients)]
            client.envelopes += 1
            self._pending[envelope_id] = waiting
            if kind == "events_api" and not retry_attempt and self._acks_to_hold:
                self._acks_to_hold -= 1
                self.acks_held += 1
                waiting.held_back = True
        started = time.monotonic()
        try:
            # A client gone with it: as if never acknowledged.
            with contextlib.suppress(ConnectionClosed):
                client.websocket.send(json.dumps(envelope))
            acknowledged = waiting.arrived.wait(self.ack_timeout)
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        latency = round((time.monotonic() - started) * 1000)
        return Sent(envelope_id, acknowledged, waiting.payload, latency, waiting.held_back)

    # --- Control -------------------------------------------------------------------------------

    def ask_to_reconnect(self, reason: str = "refresh_requested") -> int:
        """Send ``disconnect`` to every client, then close those connections; how many."""
        with self._lock:
            clients = list(self._clients)
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {}})
        for client in clients:
            try:
                client.websocket.send(message)
            except ConnectionClosed:
                continue
        if clients:
            threading.Timer(CLOSE_AFTER_DISCONNECT, self._close, args=(clients,)).start()
        return len(clients)

    def hold_acks(self, events: int) -> int:
        """Take the acknowledgements of the next ``events`` first deliveries of events as too
        late: Response handles them, and Slack sends them again. How many are left to hold."""
        with self._lock:
            self._acks_to_hold += max(0, events)
            return self._acks_to_hold

    def drop(self) -> int:
        """Cut every connection with no closing handshake, as a network failure does."""
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for client in clients:
            client.websocket.close_socket()
        return len(clients)

    def _close(self, clients: list[Client]) -> None:
        for client in clients:
            client.websocket.close()
