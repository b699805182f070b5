"""Response against the sandbox with Slack's rate limits on: commands typed faster than Slack lets
the bot post into one channel are all answered, each once (SPEC: nothing lost or done twice,
"even across Slack retries, rate limits")."""

from __future__ import annotations

import re

import pytest

from tests.e2e.sandbox_stack import SandboxStack, sandbox_stack  # noqa: F401 (fixture)
from tests.e2e.test_sandbox_flow import (
    ALICE,
    BOT,
    CAROL,
    CREATE_COMMS_CHANNEL,
    declare,
    shown,
)

pytestmark = pytest.mark.slow

TITLE = "Refunds are stuck"
FOLLOW_UPS = [f"Check refund queue {n}" for n in range(8)]


@pytest.fixture
def limited(request: pytest.FixtureRequest) -> SandboxStack:
    running: SandboxStack = request.getfixturevalue("sandbox_stack")
    running.sandbox.clear_faults()
    running.sandbox.post("/sandbox/rate_limits", {"enabled": True})
    yield running
    running.sandbox.post("/sandbox/rate_limits", {"enabled": False})


def test_replies_faster_than_slack_allows_are_all_posted_once(limited: SandboxStack):
    slack = limited.sandbox
    post = declare(slack, TITLE)
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    name = f"inc-{incident_id}-refunds-are-stuck"
    comms = slack.wait_for(
        lambda: (c := slack.channel(name)) and c["bookmarks"] and c, message=f"#{name} set up"
    )["id"]
    earlier = len(slack.calls("chat.postMessage"))

    # Eight commands at once: their replies into one channel go past its burst of posts.
    for follow_up in FOLLOW_UPS:
        slack.message(ALICE, comms, f"@incident action {follow_up}")

    def replies() -> list[str]:
        return [
            text
            for m in slack.messages(comms)
            if m["user"] == BOT
            for text in [shown(m)]
            if "Follow-up logged" in text
        ]

    slack.wait_for(
        lambda: all(any(f in r for r in replies()) for f in FOLLOW_UPS),
        timeout=90,
        message="a reply to every command",
    )
    for follow_up in FOLLOW_UPS:
        assert sum(f"Follow-up logged: {follow_up}" in r for r in replies()) == 1, follow_up
    statuses = [c["status"] for c in slack.calls("chat.postMessage")[earlier:]]
    assert 429 in statuses, "Slack's limit was reached, or this test proves nothing"
