"""The sandbox's trigger ids, as Slack's: good for one modal, for 3 seconds after they are issued.

slack-platform.md (views.open): a trigger id "expires 3 s after issue and can be exchanged only
once" (``expired_trigger_id``, ``exchanged_trigger_id``). The sandbox here runs with its default
lifetime; its clock for triggers is replaced by one the test moves, so no test waits 3 s.
A person's slash command (the control API) issues the trigger; the bot redeems it with views.open.
"""

from __future__ import annotations

import json
import time
import types
import urllib.request

import pytest
from slack_sdk.errors import SlackApiError

from sandbox import modals as sandbox_modals
from tests.sandbox.conftest import load


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The clock the sandbox times trigger ids by (its wall clock stays real)."""
    fake = Clock()
    monkeypatch.setattr(
        sandbox_modals, "time", types.SimpleNamespace(time=time.time, monotonic=lambda: fake.now)
    )
    return fake


def trigger_from_a_command(sandbox, receiver, user: str = "U0ALICE") -> str:
    """The trigger id Response receives with a person's slash command."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + "/sandbox/act/command",
        data=json.dumps({"user": user, "channel": "C0INCIDENTS", "text": "help"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
        assert answer.status == 200
    (command,) = receiver.requests("/slack/slash_command")
    return command.form["trigger_id"]


def views_open(web, trigger_id: str) -> str | None:
    """The error views.open answers, or None when it opened the modal."""
    try:
        opened = web.views_open(trigger_id=trigger_id, view=load("modal.json"))
    except SlackApiError as error:
        return error.response["error"]
    assert opened["view"]["id"].startswith("V")
    return None


def test_the_sandbox_runs_with_slacks_lifetime(sandbox):
    assert sandbox.workspace.trigger_ttl == 3.0


def test_a_trigger_opens_a_view_within_3_seconds_and_only_once(sandbox, receiver, web, clock):
    trigger_id = trigger_from_a_command(sandbox, receiver)
    clock.advance(2.9)

    assert views_open(web, trigger_id) is None
    assert len(sandbox.workspace.stack("U0ALICE")) == 1
    assert views_open(web, trigger_id) == "exchanged_trigger_id"
    assert len(sandbox.workspace.stack("U0ALICE")) == 1


def test_a_trigger_used_after_3_seconds_has_expired(sandbox, receiver, web, clock):
    trigger_id = trigger_from_a_command(sandbox, receiver)
    clock.advance(3.1)

    assert views_open(web, trigger_id) == "expired_trigger_id"
    assert sandbox.workspace.stack("U0ALICE") == []
