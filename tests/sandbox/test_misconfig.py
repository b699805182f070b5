"""The sandbox set up wrong on request (``/sandbox/misconfig``), as a real workspace can be."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.server import Sandbox
from slack.manifest import BOT_SCOPES


def control(sandbox: Sandbox, verb: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + "/sandbox/misconfig", data=data, method=verb
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def scopes_header(response: Any) -> list[str]:
    (value,) = [v for k, v in response.headers.items() if k.lower() == "x-oauth-scopes"]
    return value.split(",")


def error_of(call: Any) -> dict:
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)


def incidents(sandbox: Sandbox) -> dict:
    return sandbox.workspace.channel_named("incidents")


def test_every_answer_names_the_granted_scopes_as_slack_does(web: WebClient):
    assert scopes_header(web.auth_test()) == BOT_SCOPES
    assert scopes_header(web.users_info(user="U0ALICE")) == BOT_SCOPES


def test_nothing_is_misconfigured_at_first(sandbox):
    shown = control(sandbox, "GET")

    assert shown == {
        "token": None,
        "missing_scopes": [],
        "bot_not_in": [],
        "granted_scopes": BOT_SCOPES,
    }


def test_missing_scopes_leave_the_header_and_refuse_the_methods_that_need_them(sandbox, web):
    control(sandbox, "POST", {"missing_scopes": ["channels:read", "groups:read"]})

    granted = scopes_header(web.auth_test())
    assert "channels:read" not in granted
    assert "groups:read" not in granted
    assert "chat:write" in granted
    refused = error_of(lambda: web.conversations_list())
    assert refused["error"] == "missing_scope"
    assert refused["needed"] == "channels:read,groups:read"
    assert "channels:read" not in refused["provided"].split(",")
    # Methods whose scopes are still granted go on working.
    assert web.users_info(user="U0ALICE")["ok"] is True


@pytest.mark.parametrize(
    ("kind", "code"), [("revoked", "token_revoked"), ("invalid", "invalid_auth")]
)
def test_a_refused_token_fails_every_call(sandbox, web, kind, code):
    control(sandbox, "POST", {"token": kind})

    assert error_of(web.auth_test)["error"] == code
    assert error_of(lambda: web.chat_postMessage(channel="#incidents", text="hi"))["error"] == code
    assert sandbox.workspace.messages.get(incidents(sandbox)["id"], []) == []


def test_a_user_token_is_a_person_to_auth_test(sandbox, web):
    control(sandbox, "POST", {"token": "user"})

    identity = web.auth_test()

    assert identity["user_id"] == "U0ALICE"
    assert "bot_id" not in identity.data


def test_the_bot_can_be_left_out_of_a_channel_and_invited_back(sandbox, web):
    shown = control(sandbox, "POST", {"bot_not_in": ["#incidents"]})

    channel_id = incidents(sandbox)["id"]
    assert shown["bot_not_in"] == [channel_id]
    assert web.conversations_info(channel=channel_id)["channel"]["is_member"] is False
    assert error_of(lambda: web.conversations_history(channel=channel_id))["error"] == (
        "not_in_channel"
    )

    control(sandbox, "DELETE")

    assert web.conversations_info(channel=channel_id)["channel"]["is_member"] is True


def test_clearing_undoes_everything(sandbox, web):
    control(sandbox, "POST", {"token": "revoked", "missing_scopes": ["chat:write"]})

    shown = control(sandbox, "DELETE")

    assert shown["token"] is None
    assert shown["missing_scopes"] == []
    assert web.auth_test()["ok"] is True
    assert scopes_header(web.auth_test()) == BOT_SCOPES


def test_a_reset_forgets_the_misconfiguration(sandbox, web):
    control(sandbox, "POST", {"token": "revoked", "bot_not_in": ["incidents"]})

    sandbox.reset()

    assert web.auth_test()["ok"] is True
    assert "U0BOT" in incidents(sandbox)["members"]
    assert control(sandbox, "GET")["bot_not_in"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"token": "expired-ish"},
        {"bot_not_in": ["no-such-channel"]},
        {"missing_scopes": ["chat:write", "no:such-scope"]},
    ],
    ids=["token", "channel", "scope"],
)
def test_a_misconfiguration_it_does_not_know_is_refused(sandbox, body):
    with pytest.raises(urllib.error.HTTPError) as raised:
        control(sandbox, "POST", body)

    assert raised.value.code == 400
    assert control(sandbox, "GET")["token"] is None
    assert control(sandbox, "GET")["missing_scopes"] == []
