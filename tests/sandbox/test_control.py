"""The control API the page and the tests use, the page's files, and the state file."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from sandbox.server import WEB_ROOT, Sandbox
from tests.sandbox.conftest import Receiver, load, make_sandbox


def call(sandbox: Sandbox, verb: str, path: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + path, data=data, method=verb
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def fetch(sandbox: Sandbox, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(sandbox.config.public_url + path, timeout=5) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_state_lists_the_seeded_workspace(sandbox):
    state = call(sandbox, "GET", "/sandbox/state")
    assert state["team"]["id"] == "T0SANDBOX"
    assert state["bot"]["user_id"] == "U0BOT"
    people = {u["id"]: u for u in state["users"]}
    assert people["U0ALICE"]["real_name"] == "Alice Adams"
    assert people["U0ALICE"]["email"] == "alice@response-sandbox.example"
    channels = {c["name"]: c for c in state["channels"]}
    assert "U0BOT" in channels["incidents"]["members"]
    assert "U0BOT" not in channels["general"]["members"]
    assert {"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"} <= set(channels["general"]["members"])
    assert set(channels["incidents"]) >= {
        "id",
        "is_private",
        "is_archived",
        "is_im",
        "topic",
        "purpose",
        "bookmarks",
    }


def test_people_act_and_see_their_own_ephemeral_messages(sandbox, receiver: Receiver):
    receiver.answer = lambda request, count: (200, "text/plain", "Only you can see this")
    sent = call(
        sandbox,
        "POST",
        "/sandbox/act/message",
        {"user": "U0ALICE", "channel": "C0INCIDENTS", "text": "@incident help"},
    )
    command = call(
        sandbox,
        "POST",
        "/sandbox/act/command",
        {"user": "U0BOB", "channel": "C0INCIDENTS", "text": "help"},
    )
    assert command["status"] == 200 and command["response"] == "Only you can see this"
    call(
        sandbox,
        "POST",
        "/sandbox/act/pin",
        {"user": "U0CAROL", "channel": "C0INCIDENTS", "ts": sent["ts"]},
    )
    call(
        sandbox,
        "POST",
        "/sandbox/act/react",
        {"user": "U0CAROL", "channel": "C0INCIDENTS", "ts": sent["ts"], "name": "eyes"},
    )
    for_bob = call(sandbox, "GET", "/sandbox/channels/C0INCIDENTS/messages?user=U0BOB")
    for_alice = call(sandbox, "GET", "/sandbox/channels/C0INCIDENTS/messages?user=U0ALICE")
    assert [m["text"] for m in for_bob] == ["<@U0BOT> help", "Only you can see this"]
    assert for_bob[1]["ephemeral"] is True
    assert [m["text"] for m in for_alice] == ["<@U0BOT> help"]
    shown = for_alice[0]
    assert shown["username"] == "alice" and shown["pinned"] is True
    assert shown["reactions"] == [{"name": "eyes", "users": ["U0CAROL"], "count": 1}]


def test_a_refused_act_answers_400_with_slacks_error(sandbox):
    with pytest.raises(urllib.error.HTTPError) as refused:
        call(
            sandbox,
            "POST",
            "/sandbox/act/message",
            {"user": "U0ALICE", "channel": "C0NOPE", "text": "hi"},
        )
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"] == "channel_not_found"


def test_views_lists_a_persons_modal_stack(sandbox):
    opened = sandbox.workspace.open_view("U0ALICE", load("modal.json"))
    (shown,) = call(sandbox, "GET", "/sandbox/views?user=U0ALICE")
    assert shown["id"] == opened["id"] and shown["hash"] == opened["view"]["hash"]
    assert shown["view"]["callback_id"] == "sandbox-test-modal"
    assert call(sandbox, "GET", "/sandbox/views?user=U0BOB") == []


def test_changes_answers_once_something_changed(sandbox):
    seq = call(sandbox, "GET", "/sandbox/state")["seq"]
    assert call(sandbox, "GET", f"/sandbox/changes?since={seq}&timeout=0")["seq"] == seq
    answered: list[int] = []
    waiting = threading.Thread(
        target=lambda: answered.append(
            call(sandbox, "GET", f"/sandbox/changes?since={seq}&timeout=30")["seq"]
        )
    )
    waiting.start()
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "a change", None)
    waiting.join(timeout=30)
    assert answered and answered[0] > seq


def test_a_long_poll_whose_page_went_away_is_dropped_quietly(sandbox, caplog):
    seq = call(sandbox, "GET", "/sandbox/state")["seq"]
    with socket.create_connection(("127.0.0.1", sandbox.config.port)) as page:
        page.sendall(f"GET /sandbox/changes?since={seq}&timeout=30 HTTP/1.1\r\n\r\n".encode())
    # The change wakes the long-poll, which then answers a connection that is gone.
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "a change", None)
    time.sleep(0.5)

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_faults_calls_and_deliveries_over_http(sandbox, receiver: Receiver):
    call(sandbox, "POST", "/sandbox/faults", {"method": "auth.test", "error": "invalid_auth"})
    assert call(sandbox, "GET", "/sandbox/faults")[0]["error"] == "invalid_auth"
    call(sandbox, "DELETE", "/sandbox/faults")
    assert call(sandbox, "GET", "/sandbox/faults") == []
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "hello", None)
    receiver.wait_for(lambda: sandbox.delivery.records())
    (delivery,) = call(sandbox, "GET", "/sandbox/deliveries")
    assert delivery["kind"] == "event" and delivery["status"] == 200
    assert delivery["summary"] == "message in C0INCIDENTS"
    assert call(sandbox, "GET", "/sandbox/calls") == []


def test_reset_goes_back_to_the_seed(sandbox):
    sandbox.workspace.create_channel("inc-1", creator="U0BOT", is_private=False)
    call(sandbox, "POST", "/sandbox/reset")
    names = {c["name"] for c in call(sandbox, "GET", "/sandbox/state")["channels"]}
    assert names == {"incidents", "general"}


def test_the_state_file_brings_the_workspace_back_after_a_restart(receiver: Receiver, tmp_path):
    state_file = tmp_path / "sandbox-state.json"
    first = make_sandbox(receiver.url, state_file=str(state_file))
    channel = first.workspace.create_channel("inc-5-kept", creator="U0BOT", is_private=False)
    first.workspace.join(channel, "U0ALICE", inviter="U0BOT")
    ts = first.people.message("U0ALICE", channel["id"], "still here", None)["ts"]
    first.stop()
    again = make_sandbox(receiver.url, state_file=str(state_file))
    try:
        kept = again.workspace.channel(channel["id"])
        assert kept["name"] == "inc-5-kept"
        assert again.workspace.message(channel["id"], ts)["text"] == "still here"
        newer = again.workspace.new_ts()
        assert float(newer) > float(ts), "timestamps keep increasing"
    finally:
        again.stop()


def test_the_page_and_its_files_are_served_and_nothing_outside(sandbox):
    status, kind, body = fetch(sandbox, "/")
    assert status == 200 and kind.startswith("text/html") and body
    status, _, _ = fetch(sandbox, "/static/../server.py")
    assert status == 404
    status, _, _ = fetch(sandbox, "/static/%2e%2e/state.py")
    assert status == 404
    assets = [p for p in WEB_ROOT.rglob("*") if p.is_file()] if WEB_ROOT.is_dir() else []
    for asset in assets[:5]:
        path = asset.relative_to(WEB_ROOT).as_posix()
        status, kind, body = fetch(sandbox, f"/static/{path}")
        assert status == 200 and body == asset.read_bytes()
        if asset.suffix == ".css":
            assert kind.startswith("text/css")
        if asset.suffix == ".js":
            assert "javascript" in kind


def test_buttons_saved_without_block_ids_still_answer_after_a_restart(receiver: Receiver, tmp_path):
    # A state file from before the sandbox named blocks, as Slack does, when they are stored.
    button = {"type": "button", "text": {"type": "plain_text", "text": "Page"}, "value": "7:1"}
    team = {"type": "mrkdwn", "text": "*Payments*"}
    saved = {
        "type": "message",
        "ts": "1700000000.000100",
        "user": "U0BOT",
        "text": "Teams",
        "blocks": [{"type": "section", "text": team, "accessory": button}],
    }
    state_file = tmp_path / "sandbox-state.json"
    state_file.write_text(json.dumps({"messages": {"C0INCIDENTS": [saved]}, "last_ts": 1700000000}))
    running = make_sandbox(receiver.url, state_file=str(state_file))
    try:
        shown = call(running, "GET", "/sandbox/channels/C0INCIDENTS/messages?user=U0ALICE")
        block = shown[0]["blocks"][0]
        element = block["accessory"]
        assert block["block_id"] and element["action_id"]
        call(
            running,
            "POST",
            "/sandbox/act/click",
            {
                "user": "U0ALICE",
                "channel": "C0INCIDENTS",
                "message_ts": saved["ts"],
                "block_id": block["block_id"],
                "action_id": element["action_id"],
            },
        )
        action = json.loads(receiver.requests("/slack/action")[0].form["payload"])["actions"][0]
        assert (action["block_id"], action["value"]) == (block["block_id"], "7:1")
    finally:
        running.stop()
