"""The sandbox's Socket Mode, seen from a client: apps.connections.open, hello, envelopes instead
of POSTs, acknowledgements carrying answers, re-delivery with retry_attempt, and the control calls
that ask for a reconnect or cut the connection.

The client here is a bare WebSocket (``websockets``' own client), so the wire shapes are checked
as they are, with nothing in between.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from sandbox.server import Sandbox
from sandbox.socket_mode import APP_TOKEN
from tests.sandbox.conftest import TOKEN, Receiver, load

Answer = Callable[[dict[str, Any]], dict[str, Any] | bool | None]


class Client:
    """A Socket Mode client: records what arrives; acknowledges envelopes with ``answer``.

    ``answer`` returns the acknowledgement's payload, None for a bare acknowledgement, or False
    to leave the envelope unacknowledged.
    """

    def __init__(self, url: str, answer: Answer = lambda envelope: None) -> None:
        self.answer = answer
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.received: list[dict[str, Any]] = []
        self.closed = threading.Event()
        self.close_code: int | None = None
        self._stack = contextlib.ExitStack()
        self.websocket: ClientConnection = self._stack.enter_context(connect(url, compression=None))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.websocket:
                message = json.loads(raw)
                self.received.append(message)
                self.messages.put(message)
                if "envelope_id" not in message:
                    continue
                payload = self.answer(message)
                if payload is False:
                    continue
                ack = {"envelope_id": message["envelope_id"]}
                if payload:
                    ack["payload"] = payload
                self.websocket.send(json.dumps(ack))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.websocket.close_code
            self.closed.set()

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.messages.get(timeout=timeout)

    def envelopes(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            m for m in self.received if "envelope_id" in m and (kind is None or m["type"] == kind)
        ]

    def close(self) -> None:
        self._stack.close()


def open_url(sandbox: Sandbox, token: str = APP_TOKEN) -> str:
    return WebClient(base_url=sandbox.config.public_url + "/api/").apps_connections_open(
        app_token=token
    )["url"]


@pytest.fixture
def clients(sandbox: Sandbox) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(answer: Answer = lambda envelope: None) -> Client:
        client = Client(open_url(sandbox), answer)
        assert client.next()["type"] == "hello"
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# --- apps.connections.open and hello ---------------------------------------------------------


def test_the_app_token_gets_a_websocket_url_on_the_sandbox(sandbox: Sandbox):
    url = open_url(sandbox)

    assert url.startswith(f"ws://127.0.0.1:{sandbox.socket_mode.port}/link/?ticket=")


@pytest.mark.parametrize(
    ("token", "error"),
    [(TOKEN, "not_allowed_token_type"), ("xapp-not-this-one", "invalid_auth")],
)
def test_other_tokens_are_refused_as_slack_refuses_them(sandbox: Sandbox, token, error):
    with pytest.raises(SlackApiError) as refused:
        open_url(sandbox, token)

    assert refused.value.response["error"] == error


def test_a_url_is_good_for_one_connection(sandbox: Sandbox):
    url = open_url(sandbox)
    first = Client(url)
    try:
        with pytest.raises(InvalidStatus):
            Client(url)
    finally:
        first.close()


def test_a_connection_starts_with_hello(sandbox: Sandbox):
    client = Client(open_url(sandbox))
    try:
        hello = client.next()
    finally:
        client.close()

    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"]["app_id"]


# --- Envelopes instead of POSTs --------------------------------------------------------------


def test_a_slash_command_is_an_envelope_and_its_answer_comes_in_the_ack(
    sandbox: Sandbox, receiver: Receiver, clients
):
    clients(lambda envelope: {"response_type": "ephemeral", "text": "Opening the form…"})

    sandbox.people.command("U0ALICE", "C0INCIDENTS", "payments are failing")

    assert receiver.requests() == [], "a POST went out while a socket client was connected"
    seen = [m["text"] for m in sandbox.workspace.ephemerals["C0INCIDENTS"]]
    assert "Opening the form…" in seen
    (record,) = sandbox.delivery.records()
    assert (record["transport"], record["status"]) == ("socket", 200)


def test_envelopes_carry_what_the_post_would_have(sandbox: Sandbox, clients):
    client = clients()

    sandbox.people.command("U0BOB", "C0GENERAL", "payments are failing")
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "for the bot", None)
    (command,) = client.envelopes("slash_commands")
    event = _wait_for(lambda: client.envelopes("events_api"))[0]

    assert command["accepts_response_payload"] is True
    assert command["payload"]["command"] == "/incident"
    assert command["payload"]["text"] == "payments are failing"
    assert command["payload"]["user_id"] == "U0BOB"
    assert event["payload"]["type"] == "event_callback"
    assert event["payload"]["event"]["text"] == "for the bot"
    assert (event["retry_attempt"], event["accepts_response_payload"]) == (0, False)


def test_a_modal_error_in_the_ack_shows_in_the_modal(sandbox: Sandbox, clients):
    errors = {"title": "Say what is going wrong"}
    clients(lambda envelope: {"response_action": "errors", "errors": errors})
    view = sandbox.workspace.open_view("U0ALICE", load("modal.json"))

    result = sandbox.people.submit("U0ALICE", view["id"], {})

    assert (result["errors"], result["closed"]) == (errors, False)


def test_an_unacknowledged_event_is_sent_again_with_retry_attempt(sandbox: Sandbox, clients):
    client = clients(lambda envelope: envelope.get("retry_attempt", 0) >= 2 and None)

    sandbox.people.message("U0ALICE", "C0INCIDENTS", "hello", None)
    sent = _wait_for(lambda: len(client.envelopes("events_api")) >= 3 and client.envelopes())

    assert [e["retry_attempt"] for e in sent] == [0, 1, 2]
    assert [e["retry_reason"] for e in sent[1:]] == ["timeout", "timeout"]
    assert len({e["payload"]["event_id"] for e in sent}) == 1, "a retry must keep the event id"
    assert len({e["envelope_id"] for e in sent}) == 3
    _wait_for(lambda: len(sandbox.delivery.records()) == 3)
    assert [r["status"] for r in sandbox.delivery.records()] == [None, None, 200]


def test_with_nobody_connected_deliveries_are_posted(sandbox: Sandbox, receiver: Receiver):
    sandbox.people.command("U0ALICE", "C0INCIDENTS", "payments are failing")

    assert len(receiver.requests("/slack/slash_command")) == 1


def test_between_two_connections_an_envelope_waits_for_the_next(
    sandbox: Sandbox, receiver: Receiver, clients
):
    clients().close()
    _wait_for(lambda: not sandbox.socket_mode.connected())
    reconnecting = threading.Timer(0.1, clients)
    reconnecting.start()

    sandbox.people.command("U0ALICE", "C0INCIDENTS", "payments are failing")
    reconnecting.join()

    assert receiver.requests() == [], "a Socket Mode app was sent a POST"
    (record,) = sandbox.delivery.records()
    assert (record["transport"], record["status"]) == ("socket", 200)


def test_an_envelope_nobody_comes_back_for_is_not_acknowledged(
    sandbox: Sandbox, receiver: Receiver, clients
):
    clients().close()
    _wait_for(lambda: not sandbox.socket_mode.connected())

    sandbox.people.command("U0ALICE", "C0INCIDENTS", "payments are failing")

    assert receiver.requests() == []
    (record,) = sandbox.delivery.records()
    assert (record["transport"], record["status"], record["error"]) == ("socket", None, "timeout")


def test_each_envelope_goes_to_one_connection(sandbox: Sandbox, clients):
    first, second = clients(), clients()

    for number in range(4):
        sandbox.people.command("U0ALICE", "C0INCIDENTS", f"number {number}")

    texts = [e["payload"]["text"] for c in (first, second) for e in c.envelopes()]
    assert sorted(texts) == [f"number {n}" for n in range(4)]
    assert first.envelopes() and second.envelopes()


# --- Control: reconnect, drop ----------------------------------------------------------------


def test_asking_to_reconnect_sends_disconnect_then_closes(sandbox: Sandbox, clients, control):
    client = clients()

    asked = control("/sandbox/socket/reconnect", {"reason": "refresh_requested"})

    assert asked == {"ok": True, "asked": 1}
    assert client.next() == {"type": "disconnect", "reason": "refresh_requested", "debug_info": {}}
    assert client.closed.wait(5)
    assert client.close_code == 1000  # closed cleanly, as Slack closes a refreshed link
    _wait_for(lambda: not sandbox.socket_mode.connected())


def test_dropping_cuts_the_connection_without_a_close(sandbox: Sandbox, clients, control):
    client = clients()

    assert control("/sandbox/socket/drop", {}) == {"ok": True, "dropped": 1}
    assert client.closed.wait(5)
    assert client.close_code == 1006  # abnormal closure: no close frame came
    assert not any(m["type"] == "disconnect" for m in client.received)
    state = control("/sandbox/socket")
    assert state["connected"] is False and state["connections_opened"] == 1


def test_a_held_back_ack_makes_the_event_come_again(sandbox: Sandbox, clients, control):
    client = clients()
    assert control("/sandbox/socket/hold_acks", {"events": 1}) == {"ok": True, "to_hold": 1}

    sandbox.people.message("U0ALICE", "C0INCIDENTS", "hello", None)
    sent = _wait_for(lambda: len(client.envelopes("events_api")) >= 2 and client.envelopes())
    _wait_for(lambda: len(sandbox.delivery.records()) == 2)

    assert [e["retry_attempt"] for e in sent] == [0, 1], "acknowledged, yet not sent again"
    first, retry = sandbox.delivery.records()
    assert (first["status"], first["error"]) == (None, "ack_held_back")
    assert retry["status"] == 200
    assert control("/sandbox/socket")["acks_held"] == 1


@pytest.fixture
def control(sandbox: Sandbox) -> Callable[..., Any]:
    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        method = "POST" if data else "GET"
        request = urllib.request.Request(sandbox.config.public_url + path, data, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    return call


def _wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)
    return result
