"""The Slack Web API client against the stand-in Slack server (real HTTP, real slack_sdk)."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from urllib.parse import urlencode

import pytest

from slack.web_api.client import get_slack_client
from slack.web_api.errors import (
    ChannelNotFound,
    InvalidAuth,
    MissingScope,
    NotAuthed,
    RateLimited,
    SlackAuthError,
    SlackConnectionError,
    SlackError,
    SlackServerError,
    error_for,
)
from slack.web_api.workspace import bot_user_id, central_channel_id, reset_caches
from tests.helpers import load_fixture
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID, FakeSlack

# --- Transport ---------------------------------------------------------------------------------


def test_requests_carry_the_bot_token_and_go_to_the_configured_base_url(fake_slack, settings):
    # No trailing slash on purpose: the client must add it rather than drop the last segment.
    settings.SLACK_API_BASE_URL = f"http://127.0.0.1:{fake_slack.port}/custom/prefix"
    settings.SLACK_TOKEN = "xoxb-configured-token"

    get_slack_client().post_message(channel="C1", text="hello")

    call = fake_slack.last_call()
    assert call.method == "chat.postMessage"
    assert call.path == "/custom/prefix/chat.postMessage"
    assert call.header("Authorization") == "Bearer xoxb-configured-token"
    assert call.params["channel"] == "C1"
    assert call.params["text"] == "hello"


def test_post_message_sends_blocks_and_returns_slack_data(fake_slack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Payments down*"}}]

    data = get_slack_client().post_message(
        channel="C1", text="Payments down", blocks=blocks, thread_ts="1700000000.000100"
    )

    assert data["ok"] is True
    assert data["channel"] == "C1"
    assert data["ts"]
    sent = fake_slack.last_call("chat.postMessage").params
    assert sent["blocks"] == blocks
    assert sent["thread_ts"] == "1700000000.000100"


def test_building_the_client_does_not_call_slack(fake_slack):
    get_slack_client()

    assert fake_slack.calls() == []


def test_client_follows_overridden_settings(fake_slack, settings):
    first = get_slack_client()
    assert get_slack_client() is first

    settings.SLACK_TOKEN = "xoxb-other-token"
    get_slack_client().auth_test()

    assert fake_slack.last_call("auth.test").token == "xoxb-other-token"


def test_loopback_base_url_is_reached_even_with_a_proxy_configured(fake_slack, monkeypatch):
    # Nothing listens on the discard port: a request sent through this "proxy" would fail.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    reset_caches()

    assert get_slack_client().auth_test()["user_id"] == "UBOT"


def test_each_call_logs_one_line(fake_slack, caplog):
    with caplog.at_level(logging.INFO, logger="slack.web_api.client"):
        get_slack_client().auth_test()
        fake_slack.queue_error("chat.postMessage", "channel_not_found")
        with pytest.raises(ChannelNotFound):
            get_slack_client().post_message(channel="C404", text="hi")

    records = [r for r in caplog.records if r.name == "slack.web_api.client"]
    assert [(r.slack_method, r.slack_ok, r.slack_error) for r in records] == [
        ("auth.test", True, None),
        ("chat.postMessage", False, "channel_not_found"),
    ]
    assert all(isinstance(r.duration_ms, int) for r in records)


# --- Retries -----------------------------------------------------------------------------------


def test_rate_limited_call_is_retried_after_retry_after(fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=1)

    data = get_slack_client().post_message(channel="C1", text="hello")

    assert data["ok"] is True
    first, second = fake_slack.calls("chat.postMessage")
    assert second.at - first.at >= 1.0


def test_rate_limit_outlasting_the_retries_raises_rate_limited(fake_slack, settings):
    settings.SLACK_API_MAX_RETRIES = 0
    fake_slack.rate_limit("chat.postMessage", retry_after=7)

    with pytest.raises(RateLimited) as raised:
        get_slack_client().post_message(channel="C1", text="hello")

    assert raised.value.retry_after == 7
    assert raised.value.status_code == 429
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_dropped_connection_is_retried_and_then_succeeds(fake_slack):
    fake_slack.drop_connection("auth.test")

    data = get_slack_client().auth_test()

    assert data["user_id"] == "UBOT"
    assert len(fake_slack.calls("auth.test")) == 2


def test_a_long_rate_limit_is_left_to_the_job_not_waited_out_in_the_thread(fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=30)

    with pytest.raises(RateLimited) as raised:
        get_slack_client().post_message(channel="C1", text="hello")

    assert raised.value.retry_after == 30
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_a_post_whose_connection_dropped_is_not_repeated_by_the_client(fake_slack):
    # Slack may have posted it before the connection dropped: the job's retry finds out.
    fake_slack.drop_connection("chat.postMessage")

    with pytest.raises(SlackConnectionError):
        get_slack_client().post_message(channel="C1", text="hello")

    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_connection_dropped_more_often_than_retries_raises_connection_error(fake_slack, settings):
    settings.SLACK_API_MAX_RETRIES = 1
    fake_slack.drop_connection("auth.test", times=2)

    with pytest.raises(SlackConnectionError):
        get_slack_client().auth_test()

    assert len(fake_slack.calls("auth.test")) == 2


def test_server_that_does_not_answer_in_time_raises_connection_error(fake_slack, settings):
    settings.SLACK_API_TIMEOUT = 0.3
    fake_slack.stall("chat.postMessage", 5)

    started = time.monotonic()
    with pytest.raises(SlackConnectionError) as raised:
        get_slack_client().post_message(channel="C1", text="hello")

    assert time.monotonic() - started < 3
    assert "SLACK_API_TIMEOUT" in str(raised.value)
    # Slack may have posted it: sending it again could post the message twice.
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_unreachable_slack_raises_connection_error_naming_the_base_url(settings):
    settings.SLACK_API_BASE_URL = "http://127.0.0.1:9/api/"  # nothing listens there
    settings.SLACK_API_MAX_RETRIES = 0
    reset_caches()

    with pytest.raises(SlackConnectionError) as raised:
        get_slack_client().auth_test()

    assert "SLACK_API_BASE_URL" in str(raised.value)
    assert "http://127.0.0.1:9/api/" in str(raised.value)


# --- Errors ------------------------------------------------------------------------------------


def test_channel_not_found_raises_channel_not_found(fake_slack):
    fake_slack.queue_error("chat.postMessage", "channel_not_found")

    with pytest.raises(ChannelNotFound) as raised:
        get_slack_client().post_message(channel="C404", text="hello")

    assert raised.value.code == "channel_not_found"
    assert raised.value.method == "chat.postMessage"
    assert raised.value.response == {"ok": False, "error": "channel_not_found"}


def test_missing_scope_names_the_scope_to_add(fake_slack):
    fake_slack.queue_error(
        "conversations.create", "missing_scope", needed="channels:manage", provided="chat:write"
    )

    with pytest.raises(MissingScope) as raised:
        get_slack_client().create_channel(name="inc-1-payments")

    assert raised.value.needed == "channels:manage"
    assert "add the scope channels:manage to the app" in str(raised.value)
    assert "'OAuth & Permissions'" in str(raised.value)


def test_invalid_auth_says_slack_token_is_wrong(fake_slack):
    fake_slack.queue_error("chat.postMessage", "invalid_auth")

    with pytest.raises(SlackAuthError) as raised:
        get_slack_client().post_message(channel="C1", text="hello")

    assert isinstance(raised.value, InvalidAuth)
    message = str(raised.value)
    assert "SLACK_TOKEN was refused by Slack (invalid_auth)" in message
    assert "Bot User OAuth Token (xoxb-" in message


def test_missing_token_raises_not_authed(fake_slack, settings):
    settings.SLACK_TOKEN = ""

    with pytest.raises(NotAuthed) as raised:
        get_slack_client().auth_test()

    assert "SLACK_TOKEN" in str(raised.value)


def test_unknown_error_code_raises_plain_slack_error_with_slacks_details(fake_slack):
    fake_slack.queue_error(
        "conversations.setTopic",
        "invalid_arguments",
        response_metadata={"messages": ["[ERROR] missing required field: topic"]},
    )

    with pytest.raises(SlackError) as raised:
        get_slack_client().set_topic(channel="C1", topic="")

    assert type(raised.value) is SlackError
    assert raised.value.code == "invalid_arguments"
    assert "missing required field: topic" in str(raised.value)


def test_server_failure_raises_server_error(fake_slack):
    fake_slack.queue("chat.update", "<html><body>503 Service Unavailable</body></html>", status=503)

    with pytest.raises(SlackServerError) as raised:
        get_slack_client().update_message(channel="C1", ts="1.2", text="edited")

    assert raised.value.status_code == 503
    assert raised.value.code == "http_503"


def test_fatal_error_with_http_200_raises_server_error_without_retrying(fake_slack):
    fake_slack.queue_error("chat.postMessage", "fatal_error")

    with pytest.raises(SlackServerError):
        get_slack_client().post_message(channel="C1", text="hello")

    assert len(fake_slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"ok": False, "error": "token_revoked"}, "TokenRevoked"),
        (200, {"ok": False, "error": "name_taken"}, "NameTaken"),
        (200, {"ok": False, "error": "expired_trigger_id"}, "ExpiredTriggerId"),
        (200, {"ok": False, "error": "rate_limited"}, "RateLimited"),
        (500, {"ok": False, "error": "internal_error"}, "SlackServerError"),
        (200, {"ok": False, "error": "something_new"}, "SlackError"),
    ],
)
def test_error_for_picks_the_class_by_status_then_code(status, body, expected):
    assert type(error_for("any.method", body, status)).__name__ == expected


# --- Calls with special cases ------------------------------------------------------------------


def test_invite_treats_already_in_channel_as_success(fake_slack):
    fake_slack.queue_error("conversations.invite", "already_in_channel")

    data = get_slack_client().invite(channel="C1", users=["U1"])

    assert data["ok"] is True
    assert fake_slack.last_call("conversations.invite").params["users"] == "U1"


def test_invite_still_invites_the_others_when_one_is_already_in(fake_slack):
    fake_slack.queue_error(
        "conversations.invite",
        "already_in_channel",
        errors=[{"user": "U1", "ok": False, "error": "already_in_channel"}],
    )

    get_slack_client().invite(channel="C1", users=["U1", "U2"])

    assert [c.params["users"] for c in fake_slack.calls("conversations.invite")] == ["U1,U2", "U2"]


def test_invite_finds_out_whom_slack_refused_when_it_does_not_say(fake_slack):
    fake_slack.queue_error("conversations.invite", "user_not_found")
    fake_slack.queue_error("conversations.invite", "user_not_found")

    data = get_slack_client().invite(channel="C1", users=["U1", "U2"])

    assert [c.params["users"] for c in fake_slack.calls("conversations.invite")] == [
        "U1,U2",
        "U1",
        "U2",
    ]
    assert data["refused"] == {"U1": "user_not_found"}


def test_invite_raises_an_error_about_one_person_mixed_with_one_about_the_channel(fake_slack):
    fake_slack.queue_error(
        "conversations.invite",
        "is_archived",
        errors=[
            {"user": "U1", "ok": False, "error": "already_in_channel"},
            {"user": "U2", "ok": False, "error": "is_archived"},
        ],
    )

    with pytest.raises(SlackError):
        get_slack_client().invite(channel="C1", users=["U1", "U2"])


def test_invite_raises_other_errors(fake_slack):
    fake_slack.queue_error("conversations.invite", "channel_not_found")

    with pytest.raises(ChannelNotFound):
        get_slack_client().invite(channel="C404", users=["U1"])


def test_add_reaction_treats_already_reacted_as_success(fake_slack):
    fake_slack.queue_error("reactions.add", "already_reacted")

    data = get_slack_client().add_reaction(channel="C1", ts="1.2", name="white_check_mark")

    assert data["ok"] is True
    assert fake_slack.last_call("reactions.add").params == {
        "channel": "C1",
        "timestamp": "1.2",
        "name": "white_check_mark",
    }


def test_open_dm_returns_the_channel_id(fake_slack):
    fake_slack.on("conversations.open", lambda params: {"ok": True, "channel": {"id": "D0LEAD"}})

    assert get_slack_client().open_dm(users="U0LEAD") == "D0LEAD"
    assert fake_slack.last_call("conversations.open").params["users"] == "U0LEAD"


# --- Bot user id and central channel -----------------------------------------------------------


def test_bot_user_id_asks_slack_once(fake_slack):
    assert [bot_user_id() for _ in range(3)] == ["UBOT", "UBOT", "UBOT"]

    assert len(fake_slack.calls("auth.test")) == 1


def test_bot_user_id_failure_names_the_token_and_is_not_cached(fake_slack):
    fake_slack.queue_error("auth.test", "invalid_auth")

    with pytest.raises(SlackAuthError) as raised:
        bot_user_id()

    assert "SLACK_TOKEN" in str(raised.value)
    assert "auth.test" in str(raised.value)
    assert bot_user_id() == "UBOT"


def _two_pages(fake_slack: FakeSlack) -> None:
    fake_slack.queue("conversations.list", load_fixture("conversations_list_page1"))
    fake_slack.queue("conversations.list", load_fixture("conversations_list_page2"))


def test_central_channel_id_pages_through_conversations_list(fake_slack):
    _two_pages(fake_slack)

    assert central_channel_id() == "C0INCIDENTS2"

    first, second = fake_slack.calls("conversations.list")
    assert first.params["types"] == "public_channel,private_channel"
    assert first.params["exclude_archived"] == "1"
    assert first.params["limit"] == "200"
    assert "cursor" not in first.params
    assert second.params["cursor"] == "dGVhbTpDMFJBTkRPTQ=="


def test_central_channel_id_is_cached(fake_slack):
    _two_pages(fake_slack)

    assert central_channel_id() == central_channel_id() == "C0INCIDENTS2"

    assert len(fake_slack.calls("conversations.list")) == 2


def test_central_channel_id_uses_the_configured_id_without_calling_slack(fake_slack, settings):
    settings.INCIDENT_CHANNEL_ID = "C0CONFIGURED"

    assert central_channel_id() == "C0CONFIGURED"

    assert fake_slack.calls() == []


def test_central_channel_id_default_fake_answer(fake_slack):
    assert central_channel_id() == INCIDENTS_CHANNEL_ID


def test_missing_central_channel_says_how_to_fix_it(fake_slack, settings):
    settings.INCIDENT_BOT_NAME = "response-bot"
    only_general = load_fixture("conversations_list_page1")
    only_general["response_metadata"]["next_cursor"] = ""
    fake_slack.queue("conversations.list", only_general)

    with pytest.raises(ChannelNotFound) as raised:
        central_channel_id()

    assert str(raised.value) == (
        "No channel named #incidents is visible to the bot (archived ones are not looked at). "
        "Create it (or unarchive it), invite the bot into it (/invite @response-bot) if it is "
        "private, or set INCIDENT_CHANNEL_ID."
    )


def test_listing_channels_without_the_scope_names_it(fake_slack):
    fake_slack.queue_error(
        "conversations.list", "missing_scope", needed="groups:read", provided="channels:read"
    )

    with pytest.raises(MissingScope) as raised:
        central_channel_id()

    assert "add the scope groups:read" in str(raised.value)
    assert "INCIDENT_CHANNEL_ID" in str(raised.value)


def test_error_on_a_later_page_is_translated(fake_slack):
    page = load_fixture("conversations_list_page1")
    fake_slack.queue("conversations.list", page)
    fake_slack.queue_error("conversations.list", "invalid_cursor")

    with pytest.raises(SlackError) as raised:
        list(get_slack_client().iter_conversations())

    assert raised.value.code == "invalid_cursor"


# --- The stand-in server itself (other clients send other shapes) -------------------------------


def _raw_post(url: str, body: bytes, content_type: str) -> dict:
    headers = {"Content-Type": content_type}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 (local server)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def test_fake_accepts_form_bodies_with_token_field_and_json_strings(fake_slack):
    blocks = [{"type": "divider"}]
    body = urlencode({"token": "xoxb-form", "channel": "C1", "blocks": json.dumps(blocks)})

    answer = _raw_post(
        fake_slack.base_url + "chat.postMessage", body.encode(), "application/x-www-form-urlencoded"
    )

    assert answer["ok"] is True
    call = fake_slack.last_call("chat.postMessage")
    assert call.token == "xoxb-form"
    assert call.params["blocks"] == blocks


def test_fake_answers_not_authed_without_a_token(fake_slack):
    answer = _raw_post(fake_slack.base_url + "auth.test", b"{}", "application/json")

    assert answer == {"ok": False, "error": "not_authed"}


def test_fake_accepts_get_with_a_query_string(fake_slack):
    url = f"{fake_slack.base_url}users.info?token=xoxb-get&user=U1"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local server)
        answer = json.loads(response.read())

    assert answer["user"]["id"] == "U1"
    assert fake_slack.last_call("users.info").http_method == "GET"


def test_fake_gives_every_posted_message_a_new_ts(fake_slack):
    client = get_slack_client()

    stamps = [client.post_message(channel="C1", text=str(i))["ts"] for i in range(5)]

    assert len(set(stamps)) == 5
    assert stamps == sorted(stamps)
