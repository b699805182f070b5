"""What the sandbox sends Response: signed commands, interactions and events, retried as Slack
retries them; and how Response's answers are shown to the person."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient

from sandbox.errors import SlackError
from sandbox.server import Sandbox
from slack.incoming.signature import verify_headers
from tests.sandbox.conftest import SECRET, TOKEN, Receiver, load, make_sandbox

HEADLINE = "create-comms-channel-button"


def json_reply(body: dict) -> tuple[int, str, str]:
    return 200, "application/json", json.dumps(body)


def open_modal(sandbox: Sandbox, user: str) -> str:
    return sandbox.workspace.open_view(user, load("modal.json"))["id"]


# --- Signing and shapes --------------------------------------------------------------------------


def test_everything_sent_is_signed_with_the_shared_secret(sandbox, receiver: Receiver):
    sandbox.people.command("U0ALICE", "C0INCIDENTS", "payments are failing")
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "hello", None)
    receiver.wait_for(lambda: receiver.events("message"))
    for request in receiver.requests():
        assert verify_headers(secret=SECRET, body=request.body, headers=request.headers)
        assert not verify_headers(secret="another", body=request.body, headers=request.headers)


def test_a_slash_command_is_a_form_as_slack_sends_it(sandbox, receiver: Receiver):
    answer = sandbox.people.command("U0BOB", "C0GENERAL", "payments are failing")
    assert answer["status"] == 200 and answer["error"] is None
    (request,) = receiver.requests("/slack/slash_command")
    form = request.form
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form["command"] == "/incident" and form["text"] == "payments are failing"
    assert (form["user_id"], form["user_name"]) == ("U0BOB", "bob")
    assert (form["channel_id"], form["channel_name"]) == ("C0GENERAL", "general")
    assert (form["team_id"], form["team_domain"]) == ("T0SANDBOX", "response-sandbox")
    assert form["response_url"].startswith(sandbox.config.public_url + "/sandbox/response_url/")
    # The trigger id opens exactly one modal, for that person.
    assert sandbox.workspace.redeem_trigger(form["trigger_id"]) == "U0BOB"


def test_events_are_json_envelopes_for_channels_the_bot_is_in(sandbox, receiver: Receiver):
    sandbox.people.message("U0ALICE", "C0GENERAL", "not for the bot", None)
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "for the bot", None)
    (envelope,) = receiver.wait_for(lambda: receiver.events("message"))
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"].startswith("Ev") and envelope["event_time"]
    assert envelope["team_id"] == "T0SANDBOX" and envelope["api_app_id"]
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    event = envelope["event"]
    assert (event["text"], event["channel"], event["channel_type"]) == (
        "for the bot",
        "C0INCIDENTS",
        "channel",
    )
    assert event["client_msg_id"] and "bot_id" not in event


def test_the_bots_own_posts_and_edits_come_back_as_events(sandbox, receiver: Receiver):
    web = WebClient(token=TOKEN, base_url=sandbox.config.public_url + "/api/")
    ts = web.chat_postMessage(channel="C0INCIDENTS", text="headline")["ts"]
    web.chat_update(channel="C0INCIDENTS", ts=ts, text="headline, updated")
    events = receiver.wait_for(lambda: len(receiver.events("message")) >= 2 and receiver.events())
    posted, changed = (e["event"] for e in events)
    assert posted["bot_id"] == "B0BOT" and posted["user"] == "U0BOT"
    assert "subtype" not in posted, "modern apps' own messages carry no subtype"
    assert changed["subtype"] == "message_changed"
    assert changed["message"]["text"] == "headline, updated"
    assert changed["previous_message"]["text"] == "headline"


def test_a_typed_mention_of_the_bot_becomes_an_app_mention(sandbox, receiver: Receiver):
    sent = sandbox.people.message("U0ALICE", "C0INCIDENTS", "@incident lead @bob", None)
    assert sent["text"] == "<@U0BOT> lead <@U0BOB>"
    (mention,) = receiver.wait_for(lambda: receiver.events("app_mention"))
    assert mention["event"]["text"] == "<@U0BOT> lead <@U0BOB>"
    assert mention["event"]["user"] == "U0ALICE"
    assert receiver.wait_for(lambda: receiver.events("message")), "and a message event too"


def test_channel_life_sends_the_renames_and_pins_it_subscribes_to(sandbox, receiver: Receiver):
    ws = sandbox.workspace
    channel = ws.create_channel("inc-9", creator="U0BOT", is_private=False)
    ws.join(channel, "U0ALICE", inviter="U0BOT")
    ws.rename(channel, "inc-9-renamed", by="U0BOT")
    ts = sandbox.people.message("U0ALICE", channel["id"], "rolled back", None)["ts"]
    sandbox.people.pin("U0ALICE", channel["id"], ts)
    sandbox.people.pin("U0ALICE", channel["id"], ts, remove=True)
    kinds = ["channel_rename", "pin_added", "pin_removed", "member_joined_channel"]
    receiver.wait_for(lambda: all(receiver.events(k) for k in kinds))
    assert receiver.events("channel_rename")[0]["event"]["channel"]["name"] == "inc-9-renamed"
    pinned = receiver.events("pin_added")[0]["event"]
    assert pinned["channel_id"] == channel["id"] == pinned["item"]["channel"]
    assert pinned["item"]["message"]["text"] == "rolled back"
    assert pinned["item"]["message"]["permalink"]
    assert receiver.events("pin_removed")[0]["event"]["has_pins"] is False
    # In the manifest since the catch-up on joining (SPEC §15).
    joined = [e["event"] for e in receiver.events("member_joined_channel")]
    assert {"user": "U0ALICE", "channel": channel["id"], "inviter": "U0BOT"}.items() <= next(
        e for e in joined if e["user"] == "U0ALICE"
    ).items()
    # Not in the app's manifest (nothing handles it): never sent.
    assert not receiver.events("channel_created")


def test_a_private_channels_joins_and_leaves_are_sent_as_slack_sends_them(
    sandbox, receiver: Receiver
):
    # Who may see a private incident follows its channel's members (SPEC §18).
    ws = sandbox.workspace
    channel = ws.create_channel("inc-10-private", creator="U0BOT", is_private=True)
    ws.join(channel, "U0ALICE", inviter="U0BOT")
    ws.leave(channel, "U0ALICE")

    receiver.wait_for(lambda: receiver.events("member_left_channel"))
    joined = next(
        e["event"]
        for e in receiver.events("member_joined_channel")
        if e["event"]["user"] == "U0ALICE"
    )
    [left] = [e["event"] for e in receiver.events("member_left_channel")]
    assert (joined["channel"], joined["channel_type"]) == (channel["id"], "G")
    assert (left["user"], left["channel"], left["channel_type"]) == ("U0ALICE", channel["id"], "G")
    assert "U0ALICE" not in channel["members"]


def test_a_channels_events_arrive_in_order(sandbox, receiver: Receiver):
    for n in range(10):
        sandbox.people.message("U0ALICE", "C0INCIDENTS", f"message {n}", None)
    events = receiver.wait_for(lambda: len(receiver.events("message")) == 10 and receiver.events())
    assert [e["event"]["text"] for e in events] == [f"message {n}" for n in range(10)]


# --- Retries -------------------------------------------------------------------------------------


def test_an_event_not_acknowledged_in_time_is_retried_with_its_retry_number(
    sandbox, receiver: Receiver
):
    receiver.answer = lambda request, count: (0, "", "") if count == 1 else None  # first stalls
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "slow", None)
    first, retry = receiver.wait_for(lambda: len(receiver.events()) == 2 and receiver.requests())
    assert "X-Slack-Retry-Num" not in first.headers
    assert retry.headers["X-Slack-Retry-Num"] == "1"
    assert retry.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert first.payload["event_id"] == retry.payload["event_id"]
    receiver.wait_for(lambda: len(sandbox.delivery.records()) == 2)
    attempts = [(d["attempt"], d["error"]) for d in sandbox.delivery.records()]
    assert attempts == [(0, "http_timeout"), (1, None)]


def test_events_waiting_behind_a_retry_count_as_pending_until_delivered(
    sandbox, receiver: Receiver
):
    """What the fault drill waits on before it counts: a channel's queue is not done while an
    event behind an unacknowledged one still waits for its turn."""
    receiver.answer = lambda request, count: (0, "", "") if count == 1 else None  # first stalls
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "slow", None)
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "behind it", None)
    assert _pending(sandbox) >= 1
    receiver.wait_for(lambda: len(receiver.events("message")) == 3)
    assert receiver.wait_for(lambda: _pending(sandbox) == 0 or None) is not None
    assert [e["event"]["text"] for e in receiver.events("message")][-1] == "behind it"


def _pending(sandbox: Sandbox) -> int:
    url = f"{sandbox.config.public_url}/sandbox/deliveries/pending"
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
        return int(json.load(answer)["pending"])


def test_errors_are_retried_three_times_then_given_up(sandbox, receiver: Receiver):
    receiver.answer = lambda request, count: (500, "text/plain", "boom")
    sandbox.people.message("U0ALICE", "C0INCIDENTS", "failing", None)
    requests = receiver.wait_for(lambda: len(receiver.requests()) == 4 and receiver.requests())
    assert [r.headers.get("X-Slack-Retry-Num") for r in requests] == [None, "1", "2", "3"]
    assert {r.headers.get("X-Slack-Retry-Reason") for r in requests[1:]} == {"http_error"}
    receiver.wait_for(lambda: len(sandbox.delivery.records()) == 4)
    assert len(receiver.requests()) == 4


def test_an_unreachable_response_is_connection_failed(receiver: Receiver):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sandbox = make_sandbox(f"http://127.0.0.1:{port}")
    try:
        sandbox.people.message("U0ALICE", "C0INCIDENTS", "anyone?", None)
        records = receiver.wait_for(lambda: len(sandbox.delivery.records()) == 4)
        assert records
        assert {d["error"] for d in sandbox.delivery.records()} == {"connection_failed"}
    finally:
        sandbox.stop()


def test_a_slow_slash_command_is_not_retried_and_the_person_sees_an_error(
    sandbox, receiver: Receiver
):
    receiver.answer = lambda request, count: (0, "", "")
    answer = sandbox.people.command("U0ALICE", "C0INCIDENTS", "slow")
    assert answer["error"] == "http_timeout"
    assert len(receiver.requests("/slack/slash_command")) == 1
    (notice,) = sandbox.workspace.ephemerals["C0INCIDENTS"]
    assert notice["to"] == "U0ALICE" and "operation_timeout" in notice["text"]


# --- Answers shown to the person -----------------------------------------------------------------


def test_a_commands_answer_is_shown_only_to_the_person(sandbox, receiver: Receiver):
    receiver.answer = lambda request, count: json_reply(
        {"response_type": "ephemeral", "text": "Usage: /incident <what is wrong>"}
    )
    answer = sandbox.people.command("U0ALICE", "C0INCIDENTS", "help")
    assert answer["response"]["text"].startswith("Usage")
    (shown,) = sandbox.workspace.ephemerals["C0INCIDENTS"]
    assert shown["to"] == "U0ALICE" and shown["text"].startswith("Usage")
    assert sandbox.workspace.messages["C0INCIDENTS"] == []


def test_a_response_url_posts_replaces_and_wears_out(sandbox, receiver: Receiver):
    people = sandbox.people
    people.command("U0ALICE", "C0INCIDENTS", "x")
    key = receiver.requests()[0].form["response_url"].rsplit("/", 1)[-1]
    people.use_response_url(key, {"response_type": "in_channel", "text": "for everyone"})
    people.use_response_url(key, {"text": "just for you"})
    (public,) = sandbox.workspace.messages["C0INCIDENTS"]
    assert public["text"] == "for everyone" and public["bot_id"]
    assert sandbox.workspace.ephemerals["C0INCIDENTS"][0]["text"] == "just for you"
    for _ in range(3):
        people.use_response_url(key, {"text": "again"})
    with pytest.raises(SlackError) as refused:
        people.use_response_url(key, {"text": "sixth"})
    assert refused.value.code == "used_url", "a response URL takes five posts"


def test_a_click_is_a_block_actions_payload_built_from_the_real_block(sandbox, receiver: Receiver):
    ws = sandbox.workspace
    blocks = load("headline_blocks.json")
    message = ws.post(ws.channels["C0INCIDENTS"], "U0BOT", "headline", blocks=blocks)
    sandbox.people.click(
        "U0CAROL", {"channel": "C0INCIDENTS", "message_ts": message["ts"], "action_id": HEADLINE}
    )
    sandbox.people.click(
        "U0CAROL",
        {
            "channel": "C0INCIDENTS",
            "message_ts": message["ts"],
            "action_id": "pick-severity",
            "selected_option": "3",
        },
    )
    button, select = (r.payload for r in receiver.requests("/slack/action"))
    assert button["type"] == "block_actions" and button["user"]["id"] == "U0CAROL"
    assert button["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": "C0INCIDENTS",
        "is_ephemeral": False,
    }
    assert button["message"]["blocks"] == blocks
    (action,) = button["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        HEADLINE,
        "incident-actions",
        "7",
    )
    assert action["type"] == "button" and action["action_ts"]
    assert ws.redeem_trigger(button["trigger_id"]) == "U0CAROL"
    assert select["actions"][0]["selected_option"]["text"]["text"] == "Minor"


def test_a_submission_applies_the_apps_response_action(sandbox, receiver: Receiver):
    people = sandbox.people
    view_id = open_modal(sandbox, "U0ALICE")
    values = {"title": {"title": {"type": "plain_text_input", "value": ""}}}

    receiver.answer = lambda request, count: json_reply(
        {"response_action": "errors", "errors": {"title": "Give it a title"}}
    )
    refused = people.submit("U0ALICE", view_id, values)
    assert refused == {**refused, "errors": {"title": "Give it a title"}, "closed": False}
    (request,) = receiver.requests("/slack/action")
    submitted = request.payload
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["state"]["values"] == values
    assert submitted["view"]["private_metadata"] == '{"channel_id": "C0INCIDENTS"}'

    updated = {**load("modal.json"), "title": {"type": "plain_text", "text": "Thanks"}}
    receiver.answer = lambda request, count: json_reply(
        {"response_action": "update", "view": updated}
    )
    assert not people.submit("U0ALICE", view_id, values)["closed"]
    assert sandbox.workspace.stack("U0ALICE")[0]["view"]["title"]["text"] == "Thanks"

    receiver.answer = lambda request, count: None
    assert people.submit("U0ALICE", view_id, values)["closed"]
    assert sandbox.workspace.stack("U0ALICE") == []


def test_closing_a_modal_tells_the_app_when_it_asked(sandbox, receiver: Receiver):
    view_id = open_modal(sandbox, "U0DAVE")
    sandbox.people.close_view("U0DAVE", view_id)
    (closed,) = [r.payload for r in receiver.requests("/slack/action")]
    assert closed["type"] == "view_closed" and closed["view"]["id"] == view_id
    assert sandbox.workspace.stack("U0DAVE") == []


def test_a_click_in_a_modal_carries_the_view_and_its_state(sandbox, receiver: Receiver):
    view_id = open_modal(sandbox, "U0ALICE")
    values = {"title": {"title": {"type": "plain_text_input", "value": "Typed so far"}}}
    sandbox.people.click("U0ALICE", {"view_id": view_id, "action_id": "refresh", "values": values})
    (request,) = receiver.requests("/slack/action")
    clicked = request.payload
    assert clicked["container"] == {"type": "view", "view_id": view_id}
    assert clicked["view"]["id"] == view_id and clicked["state"]["values"] == values
    assert clicked["actions"][0]["value"] == "again"
    assert "response_url" not in clicked and "message" not in clicked
    with pytest.raises(SlackError):
        sandbox.people.click("U0BOB", {"view_id": view_id, "action_id": "refresh"})


def post_json(url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_clicks_response_url_replaces_or_deletes_the_message(sandbox, receiver: Receiver):
    ws = sandbox.workspace
    channel = ws.channels["C0INCIDENTS"]
    first = ws.post(channel, "U0BOT", "first", blocks=load("headline_blocks.json"))
    second = ws.post(channel, "U0BOT", "second", blocks=load("headline_blocks.json"))
    for message in (first, second):
        sandbox.people.click(
            "U0ALICE",
            {"channel": "C0INCIDENTS", "message_ts": message["ts"], "action_id": HEADLINE},
        )
    replace_url, delete_url = (
        r.payload["response_url"] for r in receiver.requests("/slack/action")
    )
    assert post_json(replace_url, {"replace_original": True, "text": "Done"}) == (200, "ok")
    assert post_json(delete_url, {"delete_original": True}) == (200, "ok")
    (left,) = ws.messages["C0INCIDENTS"]
    assert left["ts"] == first["ts"] and left["text"] == "Done" and "blocks" not in left
    assert post_json(replace_url.rsplit("/", 1)[0] + "/unknown", {"text": "x"})[0] == 404


def test_a_submission_nobody_answers_leaves_the_modal_open_with_a_notice(
    sandbox, receiver: Receiver
):
    receiver.answer = lambda request, count: (0, "", "")
    view_id = open_modal(sandbox, "U0ALICE")
    answer = sandbox.people.submit("U0ALICE", view_id, {})
    assert answer["closed"] is False and answer["error"] == "http_timeout"
    (still_open,) = sandbox.workspace.stack("U0ALICE")
    assert still_open["trouble"]


def test_a_status_menu_click_carries_the_whole_chosen_option(sandbox, receiver: Receiver):
    # The control API (and so the e2e tests) may name the option by its value: the payload
    # still carries the whole option, as Slack's client sends it, in a static_select action.
    ws = sandbox.workspace
    blocks = load("headline_status_menu.json")["blocks"]
    message = ws.post(ws.channels["C0INCIDENTS"], "U0BOT", "headline", blocks=blocks)
    for action_id, value in [
        ("incident-status-menu", "7:monitoring"),
        ("incident-status-accessory", "7:fixing"),
    ]:
        sandbox.people.click(
            "U0BOB",
            {
                "channel": "C0INCIDENTS",
                "message_ts": message["ts"],
                "action_id": action_id,
                "selected_option": value,
            },
        )
    menu, accessory = (r.payload["actions"][0] for r in receiver.requests("/slack/action"))
    assert menu["type"] == "static_select" and menu["block_id"] == "incident-actions"
    assert menu["selected_option"] == {
        "text": {"type": "plain_text", "text": "👀 Monitoring", "emoji": True},
        "value": "7:monitoring",
    }
    assert accessory["block_id"] == "status-accessory"
    assert accessory["selected_option"]["text"]["text"] == "🛠️ Fixing"
