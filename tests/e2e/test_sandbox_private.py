"""A private incident with Response running for real against the Slack sandbox (SPEC §18):
declared private, its channel private, the incidents channel told nothing but that it was
declared, and Request access → the lead's DM → Approve → the requester in the channel."""

from __future__ import annotations

import json

import pytest

from tests.e2e.sandbox_stack import SandboxClient, SandboxStack, sandbox_stack  # noqa: F401
from tests.e2e.test_sandbox_flow import open_report, report_values, shown

pytestmark = pytest.mark.slow

ALICE, BOB, CAROL, BOT = "U0ALICE", "U0BOB", "U0CAROL", "U0BOT"
TITLE = "Payroll export is world readable"
SUMMARY = "Salaries of every employee in a public bucket"


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> SandboxStack:
    """The session's running Response and sandbox, with no faults left."""
    running: SandboxStack = request.getfixturevalue("sandbox_stack")
    running.sandbox.clear_faults()
    return running


def private_values(view: dict) -> dict:
    values = report_values(view, title=TITLE, summary=SUMMARY, lead=BOB)
    values["private"] = {"private": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}}
    return values


def dm_with(slack: SandboxClient, user: str) -> dict | None:
    return next(
        (c for c in slack.channels() if c["is_im"] and set(c["members"]) == {user, BOT}), None
    )


def message_with(slack: SandboxClient, channel: str, needle: str) -> dict:
    def found() -> list[dict]:
        return [m for m in slack.messages(channel) if needle in shown(m)]

    return slack.wait_for(found, message=f"a message saying {needle!r}")[-1]


def test_a_private_incident_from_declaring_to_letting_someone_in(stack: SandboxStack):
    slack = stack.sandbox
    report = open_report(slack, ALICE, "#incidents", "payroll")
    assert any(b["block_id"] == "private" for b in report["view"]["blocks"])
    assert slack.submit(ALICE, report["id"], private_values(report["view"]))["closed"]

    # The incidents channel learns that a private incident was declared, and nothing else.
    post = message_with(slack, "#incidents", "A private incident was declared")
    for secret in (TITLE, SUMMARY, "<@U0BOB>", "inc-"):
        assert secret not in shown(post)
    # Its channel is private, with the declarer and the lead in it.
    channel = slack.wait_for(
        lambda: next(
            (
                c
                for c in slack.channels()
                if c["is_private"] and c["name"].startswith("inc-") and BOB in c["members"]
            ),
            None,
        ),
        message="the private channel, the lead invited",
    )
    assert {ALICE, BOB, BOT} <= set(channel["members"])
    assert CAROL not in channel["members"]

    # Carol asks; Bob, the lead, is asked by DM and approves; Carol is invited.
    answer = slack.click(
        CAROL, "private-request-access-button", channel="#incidents", message_ts=post["ts"]
    )
    assert answer["status"] == 200, answer
    dm = slack.wait_for(lambda: dm_with(slack, BOB), message="a DM to the lead")
    ask = message_with(slack, dm["id"], "asks to see private incident")
    assert "<@U0CAROL>" in ask["text"]
    answer = slack.click(
        BOB, "private-approve-access-button", channel=dm["id"], message_ts=ask["ts"]
    )
    assert answer["status"] == 200, answer

    slack.wait_for(
        lambda: CAROL in (slack.channel(channel["id"]) or {}).get("members", []),
        message="Carol invited",
    )
    told = slack.wait_for(lambda: dm_with(slack, CAROL), message="a DM to Carol")
    assert "You're in" in shown(message_with(slack, told["id"], "You're in"))
    # Every message the incidents channel ever got still names no detail.
    everything = json.dumps(slack.messages("#incidents"), ensure_ascii=False)
    assert TITLE not in everything and SUMMARY not in everything
