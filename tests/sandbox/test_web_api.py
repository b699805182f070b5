"""The sandbox's Web API through real HTTP with ``slack_sdk``: shapes, state and Slack's errors."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.server import Sandbox
from tests.sandbox.conftest import TOKEN, load


def error_of(call: Callable[[], Any]) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def raw_post(sandbox: Sandbox, path: str, body: bytes, content_type: str, token: str = TOKEN):
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + path,
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


# --- Auth and transport --------------------------------------------------------------------------


def test_a_missing_or_unknown_token_is_refused(sandbox):
    assert error_of(WebClient(base_url=sandbox.config.public_url + "/api/").auth_test) == (
        "not_authed"
    )
    wrong = WebClient(token="xoxb-wrong", base_url=sandbox.config.public_url + "/api/")
    assert error_of(wrong.auth_test) == "invalid_auth"


def test_auth_test_names_the_bot_and_the_team(web):
    answer = web.auth_test()
    assert answer["user_id"] == "U0BOT"
    assert answer["team_id"] == "T0SANDBOX"
    assert answer["url"] == "https://response-sandbox.slack.com/"


def test_methods_answer_at_api_and_at_the_root_with_get_and_form_bodies(sandbox):
    base = sandbox.config.public_url
    at_root = WebClient(token=TOKEN, base_url=base)
    assert at_root.auth_test()["ok"]
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/api/users.info?user=U0BOB", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert json.loads(response.read())["user"]["real_name"] == "Bob Brown"
    form = f"token={TOKEN}&user=U0CAROL".encode()
    answer = raw_post(sandbox, "/api/users.info", form, "application/x-www-form-urlencoded", "")
    assert answer["user"]["name"] == "carol"


def test_blocks_may_come_as_a_json_string_in_a_form_or_as_an_array_in_json(sandbox, web):
    blocks = load("headline_blocks.json")
    form = urllib.parse.urlencode(
        {"channel": "C0INCIDENTS", "text": "fallback", "blocks": json.dumps(blocks)}
    ).encode()
    from_form = raw_post(
        sandbox, "/api/chat.postMessage", form, "application/x-www-form-urlencoded"
    )
    from_json = web.chat_postMessage(channel="C0INCIDENTS", text="fallback", blocks=blocks)
    history = web.conversations_history(channel="C0INCIDENTS")["messages"]
    stored = {m["ts"]: m["blocks"] for m in history}
    assert stored[from_form["ts"]] == blocks == stored[from_json["ts"]]


def test_multipart_bodies_are_read(sandbox):
    boundary = "sandboxboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="user"\r\n\r\nU0DAVE\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    answer = raw_post(sandbox, "/api/users.info", body, f"multipart/form-data; boundary={boundary}")
    assert answer["user"]["name"] == "dave"


def test_an_unknown_method_is_unknown_method(web):
    assert error_of(lambda: web.api_call("chat.teleport")) == "unknown_method"


# --- Messages ------------------------------------------------------------------------------------


def test_a_post_is_stored_with_a_unique_increasing_ts_and_the_bots_identity(web):
    first = web.chat_postMessage(channel="C0INCIDENTS", text="one")
    second = web.chat_postMessage(
        channel="C0INCIDENTS",
        text="two",
        metadata={"event_type": "incident", "event_payload": {"id": 7}},
    )
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["bot_id"] == "B0BOT" and first["message"]["user"] == "U0BOT"
    newest = web.conversations_history(channel="C0INCIDENTS", include_all_metadata=True)
    assert [m["text"] for m in newest["messages"]] == ["two", "one"]
    assert newest["messages"][0]["metadata"]["event_payload"] == {"id": 7}
    plain = web.conversations_history(channel="C0INCIDENTS")["messages"]
    assert "metadata" not in plain[0]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_posting_where_the_bot_cannot_is_refused_with_slacks_codes(web):
    assert error_of(lambda: web.chat_postMessage(channel="C0NOPE", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: web.chat_postMessage(channel="C0INCIDENTS", text="")) == "no_text"
    private = web.conversations_create(name="private-room", is_private=True)["channel"]["id"]
    web.conversations_archive(channel=private)
    assert error_of(lambda: web.chat_postMessage(channel=private, text="x")) == "is_archived"


def test_a_private_channel_is_private_and_a_kick_is_a_leave(web, sandbox):
    created = web.conversations_create(name="inc-11-private", is_private=True)["channel"]
    assert created["is_private"] is True
    web.conversations_invite(channel=created["id"], users="U0ALICE")
    assert "U0ALICE" in sandbox.workspace.channels[created["id"]]["members"]

    assert web.conversations_kick(channel=created["id"], user="U0ALICE")["ok"]
    assert "U0ALICE" not in sandbox.workspace.channels[created["id"]]["members"]
    assert error_of(lambda: web.conversations_kick(channel=created["id"], user="U0ALICE")) == (
        "not_in_channel"
    )


def test_a_public_channel_the_bot_is_not_in_takes_posts_but_not_history(web):
    # chat:write.public, as the app's manifest asks for.
    assert web.chat_postMessage(channel="C0GENERAL", text="hello")["ok"]
    assert error_of(lambda: web.conversations_history(channel="C0GENERAL")) == "not_in_channel"
    assert error_of(lambda: web.conversations_setTopic(channel="C0GENERAL", topic="t")) == (
        "not_in_channel"
    )


def test_a_post_may_name_its_channel(web):
    assert web.chat_postMessage(channel="#incidents", text="by name")["channel"] == "C0INCIDENTS"


def test_a_post_to_a_user_id_lands_in_the_same_dm_each_time(web):
    first = web.chat_postMessage(channel="U0ALICE", text="one")
    second = web.chat_postMessage(channel="U0ALICE", text="two")
    opened = web.conversations_open(users="U0ALICE")["channel"]["id"]
    assert first["channel"] == second["channel"] == opened
    assert opened.startswith("D")
    assert web.conversations_open(users="U0BOB")["channel"]["id"] != opened


def test_update_keeps_blocks_left_out_and_only_the_author_may_edit(web, sandbox):
    blocks = load("headline_blocks.json")
    ts = web.chat_postMessage(channel="C0INCIDENTS", text="v1", blocks=blocks)["ts"]
    web.chat_update(channel="C0INCIDENTS", ts=ts, text="v2")
    (message,) = web.conversations_history(channel="C0INCIDENTS")["messages"]
    assert message["text"] == "v2" and message["blocks"] == blocks and message["edited"]
    human = sandbox.people.message("U0ALICE", "C0INCIDENTS", "mine", None)["ts"]
    assert error_of(lambda: web.chat_update(channel="C0INCIDENTS", ts=human, text="x")) == (
        "cant_update_message"
    )
    assert error_of(lambda: web.chat_update(channel="C0INCIDENTS", ts="1.2", text="x")) == (
        "message_not_found"
    )


def test_threads_count_their_replies(web):
    parent = web.chat_postMessage(channel="C0INCIDENTS", text="parent")["ts"]
    web.chat_postMessage(channel="C0INCIDENTS", text="reply", thread_ts=parent)
    (top,) = web.conversations_history(channel="C0INCIDENTS")["messages"]
    assert top["reply_count"] == 1
    replies = web.conversations_replies(channel="C0INCIDENTS", ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply"]


def test_history_honours_oldest_latest_and_cursors(web):
    stamps = [web.chat_postMessage(channel="C0INCIDENTS", text=str(n))["ts"] for n in range(5)]
    window = web.conversations_history(channel="C0INCIDENTS", oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["2"]
    pages = [
        [m["text"] for m in page["messages"]]
        for page in web.conversations_history(channel="C0INCIDENTS", limit=2)
    ]
    assert pages == [["4", "3"], ["2", "1"], ["0"]]


def test_ephemeral_messages_need_the_user_in_the_channel_and_stay_out_of_history(web, sandbox):
    assert web.chat_postEphemeral(channel="C0INCIDENTS", user="U0ALICE", text="psst")["message_ts"]
    assert web.conversations_history(channel="C0INCIDENTS")["messages"] == []
    outsider = web.conversations_create(name="quiet")["channel"]["id"]
    assert (
        error_of(lambda: web.chat_postEphemeral(channel=outsider, user="U0ALICE", text="x"))
        == "user_not_in_channel"
    )


def test_permalinks_point_at_the_message_on_the_sandbox_s_page(web, sandbox):
    ts = web.chat_postMessage(channel="C0INCIDENTS", text="here")["ts"]
    link = web.chat_getPermalink(channel="C0INCIDENTS", message_ts=ts)["permalink"]
    compact = ts.replace(".", "")
    assert link == f"{sandbox.config.public_url}/archives/C0INCIDENTS/p{compact}"
    # The link opens the sandbox's page itself, not a 404.
    with urllib.request.urlopen(link, timeout=5) as page:  # noqa: S310
        assert page.status == 200 and b"<title>Response sandbox</title>" in page.read()


# --- Channels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("incidents", "name_taken"),
        ("Incident-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("--", "invalid_name_punctuation"),
    ],
)
def test_channel_names_follow_slacks_rules(web, name, error):
    assert error_of(lambda: web.conversations_create(name=name)) == error


def test_a_created_channel_has_the_bot_in_it_and_takes_invites(web):
    channel = web.conversations_create(name="inc-1-payments")["channel"]
    assert channel["is_member"] and channel["creator"] == "U0BOT"
    web.conversations_invite(channel=channel["id"], users=["U0ALICE", "U0BOB"])
    members = web.conversations_members(channel=channel["id"])["members"]
    assert members == ["U0BOT", "U0ALICE", "U0BOB"]

    def invite(users: str) -> str:
        return error_of(lambda: web.conversations_invite(channel=channel["id"], users=users))

    assert invite("U0ALICE") == "already_in_channel"
    assert invite("U0BOT") == "cant_invite_self"
    assert invite("U0NOBODY") == "user_not_found"
    assert invite("U0CAROL,U0ALICE") == "already_in_channel"
    assert "U0CAROL" not in web.conversations_members(channel=channel["id"])["members"]
    assert error_of(lambda: web.conversations_invite(channel="C0GENERAL", users="U0BOB")) == (
        "not_in_channel"
    )


def test_a_name_stays_taken_by_an_archived_channel_and_renames_check_it(web):
    first = web.conversations_create(name="inc-2-old")["channel"]["id"]
    web.conversations_archive(channel=first)
    assert error_of(lambda: web.conversations_create(name="inc-2-old")) == "name_taken"
    second = web.conversations_create(name="inc-3")["channel"]["id"]
    assert error_of(lambda: web.conversations_rename(channel=second, name="incidents")) == (
        "name_taken"
    )
    renamed = web.conversations_rename(channel=second, name="inc-3-renamed")["channel"]
    assert renamed["name"] == "inc-3-renamed" and renamed["previous_names"] == ["inc-3"]


def test_topic_purpose_and_bookmarks_are_kept(web):
    channel = web.conversations_create(name="inc-4")["channel"]["id"]
    web.conversations_setTopic(channel=channel, topic="Payments - http://doc")
    web.conversations_setPurpose(channel=channel, purpose="Working on it")
    web.bookmarks_add(channel_id=channel, title="Document", type="link", link="http://doc/4/")
    info = web.conversations_info(channel=channel)["channel"]
    assert info["topic"]["value"] == "Payments - http://doc"
    assert info["purpose"]["value"] == "Working on it"
    (bookmark,) = web.bookmarks_list(channel_id=channel)["bookmarks"]
    assert bookmark["link"] == "http://doc/4/"
    assert error_of(lambda: web.conversations_setTopic(channel=channel, topic="t" * 251)) == (
        "too_long"
    )
    assert (
        error_of(lambda: web.bookmarks_add(channel_id=channel, title="x", type="link", link="nope"))
        == "invalid_link"
    )


def test_conversations_list_pages_with_cursors_and_hides_private_channels_it_is_not_in(
    web, sandbox
):
    for n in range(3):
        web.conversations_create(name=f"list-{n}")
    sandbox.workspace.create_channel("secret", creator="U0ALICE", is_private=True)
    names = [
        channel["name"]
        for page in web.conversations_list(types="public_channel,private_channel", limit=2)
        for channel in page["channels"]
    ]
    assert names == ["incidents", "general", "list-0", "list-1", "list-2"]
    archived = web.conversations_create(name="gone")["channel"]["id"]
    web.conversations_archive(channel=archived)
    live = web.conversations_list(exclude_archived=True, limit=100)["channels"]
    assert "gone" not in {c["name"] for c in live}
    assert error_of(lambda: web.conversations_list(cursor="bm9wZQ==")) == "invalid_cursor"
    assert error_of(lambda: web.conversations_info(channel=sandbox_private(sandbox))) == (
        "channel_not_found"
    )


def sandbox_private(sandbox: Sandbox) -> str:
    return next(c["id"] for c in sandbox.workspace.channels.values() if c["name"] == "secret")


def test_joining_twice_warns_already_in_channel(web):
    assert "warning" not in web.conversations_join(channel="C0GENERAL").data
    again = web.conversations_join(channel="C0GENERAL")
    assert again["warning"] == "already_in_channel"


# --- Reactions and pins --------------------------------------------------------------------------


def test_reactions_and_pins_say_when_they_are_already_there(web):
    ts = web.chat_postMessage(channel="C0INCIDENTS", text="pin me")["ts"]
    web.reactions_add(channel="C0INCIDENTS", timestamp=ts, name="white_check_mark")
    assert (
        error_of(
            lambda: web.reactions_add(channel="C0INCIDENTS", timestamp=ts, name="white_check_mark")
        )
        == "already_reacted"
    )
    got = web.reactions_get(channel="C0INCIDENTS", timestamp=ts)["message"]["reactions"]
    assert got == [{"name": "white_check_mark", "users": ["U0BOT"], "count": 1}]
    web.reactions_remove(channel="C0INCIDENTS", timestamp=ts, name="white_check_mark")

    web.pins_add(channel="C0INCIDENTS", timestamp=ts)
    assert error_of(lambda: web.pins_add(channel="C0INCIDENTS", timestamp=ts)) == ("already_pinned")
    (item,) = web.pins_list(channel="C0INCIDENTS")["items"]
    assert item["message"]["ts"] == ts and item["message"]["permalink"]
    web.pins_remove(channel="C0INCIDENTS", timestamp=ts)
    assert error_of(lambda: web.pins_remove(channel="C0INCIDENTS", timestamp=ts)) == "no_pin"


# --- Users ---------------------------------------------------------------------------------------


def test_users_are_found_by_id_and_email_and_listed_in_pages(web):
    assert web.users_info(user="U0ALICE")["user"]["real_name"] == "Alice Adams"
    assert error_of(lambda: web.users_info(user="U0NOBODY")) == "user_not_found"
    found = web.users_lookupByEmail(email="bob@response-sandbox.example")["user"]
    assert found["id"] == "U0BOB"
    assert error_of(lambda: web.users_lookupByEmail(email="who@x.example")) == "users_not_found"
    ids = [m["id"] for page in web.users_list(limit=2) for m in page["members"]]
    assert ids == ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0BOT"]


def test_users_info_gives_each_persons_time_zone(web):
    # Response reads times like "14:05" in the speaker's zone (SPEC §14): it comes from here.
    bob = web.users_info(user="U0BOB")["user"]
    assert (bob["tz"], bob["tz_offset"]) == ("America/New_York", -18000)
    assert bob["tz_label"] == "Eastern Standard Time"
    assert web.users_info(user="U0CAROL")["user"]["tz"] == "Asia/Singapore"
    listed = {m["id"]: m["tz"] for page in web.users_list() for m in page["members"]}
    assert listed["U0DAVE"] == "America/Los_Angeles"


# --- Views ---------------------------------------------------------------------------------------


def test_a_trigger_id_opens_one_modal_once(web, sandbox):
    trigger = sandbox.workspace.issue_trigger("U0ALICE")
    view = web.views_open(trigger_id=trigger, view=load("modal.json"))["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "sandbox-test-modal"
    assert [entry["id"] for entry in sandbox.workspace.stack("U0ALICE")] == [view["id"]]
    again = error_of(lambda: web.views_open(trigger_id=trigger, view=load("modal.json")))
    assert again == "exchanged_trigger_id"
    assert error_of(lambda: web.views_open(trigger_id="1.2.3", view=load("modal.json"))) == (
        "invalid_trigger_id"
    )


def test_a_trigger_id_expires_after_its_time(receiver, monkeypatch):
    from tests.sandbox.conftest import make_sandbox

    short = make_sandbox(receiver.url, trigger_ttl=0.05)
    try:
        web = WebClient(token=TOKEN, base_url=short.config.public_url + "/api/")
        trigger = short.workspace.issue_trigger("U0ALICE")
        time.sleep(0.1)
        assert error_of(lambda: web.views_open(trigger_id=trigger, view=load("modal.json"))) == (
            "expired_trigger_id"
        )
    finally:
        short.stop()


def test_views_update_checks_the_hash_and_finds_views_by_external_id(web, sandbox):
    modal = {**load("modal.json"), "external_id": "report-1"}
    opened = web.views_open(trigger_id=sandbox.workspace.issue_trigger("U0BOB"), view=modal)
    view = opened["view"]
    changed = {**modal, "title": {"type": "plain_text", "text": "Edit the incident"}}
    updated = web.views_update(view_id=view["id"], view=changed, hash=view["hash"])["view"]
    assert updated["title"]["text"] == "Edit the incident"
    assert (
        error_of(lambda: web.views_update(view_id=view["id"], view=changed, hash=view["hash"]))
        == "hash_conflict"
    )
    by_external = web.views_update(external_id="report-1", view=modal)["view"]
    assert by_external["id"] == view["id"]
    pushed = web.views_push(
        trigger_id=sandbox.workspace.issue_trigger("U0BOB"), view=modal | {"external_id": ""}
    )["view"]
    assert pushed["previous_view_id"] == view["id"]
    assert len(sandbox.workspace.stack("U0BOB")) == 2


def test_an_update_keeps_what_was_typed_in_inputs_that_stay(web, sandbox):
    modal = load("modal.json")
    view = web.views_open(trigger_id=sandbox.workspace.issue_trigger("U0ALICE"), view=modal)["view"]
    typed = {
        "title": {"title": {"type": "plain_text_input", "value": "Typed"}},
        "severity": {"severity": {"type": "static_select", "selected_option": None}},
    }
    sandbox.workspace.find_view(view["id"])["view"]["state"]["values"] = typed
    blocks = [dict(modal["blocks"][0]), {**modal["blocks"][1], "block_id": "severity-2"}]
    updated = web.views_update(view_id=view["id"], view={**modal, "blocks": blocks})["view"]
    assert updated["state"]["values"] == {"title": typed["title"]}


def test_a_view_without_a_title_is_invalid_arguments(web, sandbox):
    view = {k: v for k, v in load("modal.json").items() if k != "title"}
    trigger = sandbox.workspace.issue_trigger("U0ALICE")
    assert error_of(lambda: web.views_open(trigger_id=trigger, view=view)) == "invalid_arguments"


# --- Faults --------------------------------------------------------------------------------------


def test_a_rate_limit_fault_answers_429_with_retry_after(web, sandbox):
    sandbox.faults.add({"method": "chat.postMessage", "status": 429, "retry_after": 7, "times": 1})
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="C0INCIDENTS", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert web.chat_postMessage(channel="C0INCIDENTS", text="x")["ok"], "only once"
    assert [c["status"] for c in sandbox.call_log("chat.postMessage")] == [429, 200]


def test_error_and_dropped_connection_faults(web, sandbox):
    sandbox.faults.add({"method": "users.info", "error": "fatal_error", "times": 1})
    assert error_of(lambda: web.users_info(user="U0ALICE")) == "fatal_error"
    sandbox.faults.add({"method": "users.info", "drop": True, "times": 1})
    with pytest.raises(http.client.RemoteDisconnected):
        WebClient(
            token=TOKEN, base_url=sandbox.config.public_url + "/api/", retry_handlers=[]
        ).users_info(user="U0ALICE")
    assert web.users_info(user="U0ALICE")["ok"]
    sandbox.faults.add({"method": "*", "status": 503, "error": "service_unavailable"})
    with pytest.raises(SlackApiError) as raised:
        web.auth_test()
    assert raised.value.response.status_code == 503
    sandbox.faults.clear()
    assert web.auth_test()["ok"]


def test_every_call_is_logged_with_its_error(web, sandbox):
    web.users_info(user="U0ALICE")
    error_of(lambda: web.users_info(user="U0NOBODY"))
    logged = sandbox.call_log("users.info")
    assert [(c["params"]["user"], c["error"]) for c in logged] == [
        ("U0ALICE", None),
        ("U0NOBODY", "user_not_found"),
    ]


def test_a_latency_fault_holds_the_answer_back(web, sandbox):
    sandbox.faults.add({"method": "auth.test", "latency_ms": 2000, "times": 1})
    impatient = WebClient(
        token=TOKEN, base_url=sandbox.config.public_url + "/api/", timeout=0.2, retry_handlers=[]
    )
    with pytest.raises(TimeoutError):
        impatient.auth_test()
