"""Updates, followers and catching up (SPEC §15) with Response running for real against the
sandbox: an update shared from the modal shows in the comms channel, under the headline and in a
follower's DM; the follower hears of the resolution; the headline says when the next is due."""

from __future__ import annotations

import re

import pytest

from tests.e2e.sandbox_stack import SandboxClient, SandboxStack, sandbox_stack  # noqa: F401 (fixture)
from tests.e2e.test_sandbox_flow import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    CREATE_COMMS_CHANNEL,
    DAVE,
    bot_reply,
    declare,
    headline_says,
    say,
    shown,
)

pytestmark = pytest.mark.slow

TITLE = "Refunds are stuck"
SHARE_UPDATE = "share-update-button"
FOLLOW = "follow-incident-button"


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> SandboxStack:
    running: SandboxStack = request.getfixturevalue("sandbox_stack")
    running.sandbox.clear_faults()
    return running


def comms_channel_of(slack: SandboxClient, post: dict) -> tuple[str, str]:
    """Create the incident's comms channel from its headline; (incident id, channel id)."""
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    name = f"inc-{incident_id}-refunds-are-stuck"
    channel = slack.wait_for(
        lambda: (c := slack.channel(name)) and c["bookmarks"] and c, message=f"#{name}"
    )
    bot_reply(slack, channel["id"], "Welcome to the channel of incident")
    return incident_id, channel["id"]


def update_values(view: dict) -> dict:
    """The update modal filled in: fixing, with an impact, a change and next steps, next in 1 h."""

    def option(block_id: str, value: str) -> dict:
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        return next(o for o in block["element"]["options"] if o["value"] == value)

    def text(value: str) -> dict:
        return {"type": "plain_text_input", "value": value}

    return {
        "update_status": {
            "update_status": {
                "type": "static_select",
                "selected_option": option("update_status", "fixing"),
            }
        },
        "update_impact": {"update_impact": text("Refunds wait in the queue")},
        "update_what_changed": {"update_what_changed": text("Found the stuck consumer")},
        "update_next_steps": {"update_next_steps": text("Restart it and drain the queue")},
        "update_next_update_in": {
            "update_next_update_in": {
                "type": "static_select",
                "selected_option": option("update_next_update_in", "60"),
            }
        },
    }


def dms_to(slack: SandboxClient, user: str, needle: str) -> list[dict]:
    dms = [c for c in slack.channels() if c["is_im"] and set(c["members"]) == {BOT, user}]
    return [m for dm in dms for m in slack.messages(dm["id"]) if needle in shown(m)]


def test_an_update_reaches_the_channel_the_headline_thread_and_a_follower(stack: SandboxStack):
    slack = stack.sandbox
    post = declare(slack, TITLE, lead=BOB)
    incident_id, comms = comms_channel_of(slack, post)

    # Dave, outside the response, follows from the headline; a second follow changes nothing.
    slack.click(DAVE, FOLLOW, channel="#incidents", message_ts=post["ts"])
    bot_reply(slack, "#incidents", f"You follow incident {incident_id}", user=DAVE)
    slack.click(DAVE, FOLLOW, channel="#incidents", message_ts=post["ts"])
    bot_reply(slack, "#incidents", "You already follow", user=DAVE)

    # @incident update → a message with Share update → the modal → shared.
    say(slack, comms, "update")
    prompt = bot_reply(slack, comms, "Share an update on incident")
    slack.click(ALICE, SHARE_UPDATE, channel=comms, message_ts=prompt["ts"])
    modal = slack.wait_for(lambda: slack.views(ALICE), message="the update modal")[-1]
    result = slack.submit(ALICE, modal["id"], update_values(modal["view"]))
    assert result["closed"] and not result["errors"], result

    in_channel = bot_reply(slack, comms, "Found the stuck consumer")
    assert f"Update on incident {incident_id}" in in_channel["text"]
    replies = slack.wait_for(
        lambda: [
            m
            for m in slack.messages("#incidents")
            if m["thread_ts"] == post["ts"] and "Found the stuck consumer" in shown(m)
        ],
        message="the update under the headline",
    )
    assert len(replies) == 1
    [dm] = slack.wait_for(lambda: dms_to(slack, DAVE, "Found the stuck consumer"), message="DM")
    assert "Restart it and drain the queue" in shown(dm)
    headline_says(slack, TITLE, "*Updates:* last <!date^", "next due <!date^", "Fixing")
    assert not dms_to(slack, ALICE, "Found the stuck consumer"), "the author gets no copy"

    # Resolved → the follower is told by DM, and a late update is refused with the reason.
    say(slack, comms, "close")
    slack.wait_for(lambda: dms_to(slack, DAVE, "is resolved"), message="the resolution DM")
    slack.click(ALICE, SHARE_UPDATE, channel=comms, message_ts=prompt["ts"])
    bot_reply(slack, comms, "is resolved, so there is nothing left to update")

    # Each post once, even though the jobs ran on the real worker.
    assert len(dms_to(slack, DAVE, "Found the stuck consumer")) == 1
    assert len([m for m in slack.messages(comms) if "Found the stuck consumer" in shown(m)]) == 1


def test_a_person_joining_the_comms_channel_gets_the_catch_up_once(stack: SandboxStack):
    slack = stack.sandbox
    post = declare(slack, TITLE + " again", lead=BOB)
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    name = f"inc-{incident_id}-refunds-are-stuck-again"
    comms = slack.wait_for(lambda: (c := slack.channel(name)) and c["id"], message=f"#{name}")

    # Everyone invited when the channel was made joined it: each gets a read-in only they see.
    catch_up = bot_reply(slack, comms, f"Catching up on incident {incident_id}", user=BOB)
    assert catch_up.get("ephemeral")
    assert f"Catching up on incident {incident_id}" not in " ".join(
        shown(m) for m in slack.messages(comms)
    ), "nobody else sees it"

    def alices_catch_ups() -> list[dict]:
        return [
            m
            for m in slack.messages(comms, ALICE)
            if m.get("ephemeral") and f"Catching up on incident {incident_id}" in m["text"]
        ]

    joined = len(slack.wait_for(alices_catch_ups, message="Alice's read-in on joining"))
    say(slack, comms, "catchup")
    slack.wait_for(lambda: len(alices_catch_ups()) == joined + 1, message="the asked read-in")
    assert joined == 1, "one read-in per join"
