"""The page as Response's links and buttons reach it: permalinks that open the sandbox's own page
at the message, every kind of button Response posts, and a header that stays one line.

Same set-up as ``test_web_page``: headless Chromium against the sandbox alone, with ``receiver``
standing in for Response.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from slack_sdk import WebClient

from sandbox.server import Sandbox
from slack.workflows.pagerduty.blocks import escalation_message
from slack.workflows.statuspage.blocks import prompt_message
from tests.sandbox import test_web_page
from tests.sandbox.conftest import Receiver
from tests.sandbox.test_web_page import GENERAL, INCIDENTS, interactions, wait_for_interaction

# The same Chromium and page as test_web_page's (pytest finds fixtures by their names here).
browser = test_web_page.browser
page = test_web_page.page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


# --- Permalinks -----------------------------------------------------------------------------------


def test_a_permalink_opens_the_sandbox_page_at_that_message(
    page: Page, web: WebClient, sandbox: Sandbox
) -> None:
    for number in range(40):
        web.chat_postMessage(channel=GENERAL, text=f"Earlier message {number}")
    target = web.chat_postMessage(channel=GENERAL, text="The headline to find")["ts"]
    for number in range(40):
        web.chat_postMessage(channel=GENERAL, text=f"Later message {number}")

    link = web.chat_getPermalink(channel=GENERAL, message_ts=target)["permalink"]

    assert urlsplit(link).netloc == urlsplit(sandbox.config.public_url).netloc
    page.goto(link)
    expect(page.locator(".channel-title")).to_have_text("#general")
    message = page.locator(f"#messages .message[data-ts='{target}']")
    expect(message).to_have_class(re.compile(r"\bhighlighted\b"))
    expect(message).to_be_in_viewport()
    expect(page.locator(".message.highlighted")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sandbox-permalink-highlight.png"))


def test_a_reply_s_permalink_opens_its_thread_at_the_reply(
    page: Page, web: WebClient, sandbox: Sandbox
) -> None:
    parent = web.chat_postMessage(channel=INCIDENTS, text="Parent")["ts"]
    reply = web.chat_postMessage(channel=INCIDENTS, text="The reply", thread_ts=parent)["ts"]

    link = web.chat_getPermalink(channel=INCIDENTS, message_ts=reply)["permalink"]

    assert urlsplit(link).netloc == urlsplit(sandbox.config.public_url).netloc
    page.goto(link)
    shown = page.locator(f"#thread-messages .message[data-ts='{reply}']")
    expect(shown).to_have_class(re.compile(r"\bhighlighted\b"))
    expect(shown).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "sandbox-permalink-thread-reply.png"))


def test_a_pinned_message_s_permalink_is_on_the_sandbox(
    web: WebClient, sandbox: Sandbox, receiver: Receiver
) -> None:
    ts = web.chat_postMessage(channel=INCIDENTS, text="Pin me")["ts"]
    web.pins_add(channel=INCIDENTS, timestamp=ts)

    pinned = receiver.wait_for(lambda: receiver.events("pin_added"))
    link = pinned[0]["event"]["item"]["message"]["permalink"]
    assert link == web.chat_getPermalink(channel=INCIDENTS, message_ts=ts)["permalink"]
    assert link.startswith(sandbox.config.public_url + "/")


# --- Buttons Response posts -----------------------------------------------------------------------


def stored_blocks(web: WebClient, ts: str) -> list[dict]:
    history = web.conversations_history(channel=INCIDENTS, latest=ts, inclusive=True, limit=1)
    return history["messages"][0]["blocks"]


def test_every_kind_of_button_response_posts_is_delivered_with_its_block_id(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    teams = [
        SimpleNamespace(pk=1, name="Payments", summary="Card processing"),
        SimpleNamespace(pk=2, name="Platform", summary="Kubernetes and databases"),
    ]
    prompt_text, prompt = prompt_message(7)
    escalation_text, escalation = escalation_message(7, teams)
    # An actions block with neither block_id nor action ids' owners named: Slack names the block.
    actions = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "action_id": "ack",
                    "value": "ack-7",
                }
            ],
        }
    ]
    posted = {
        "prompt": web.chat_postMessage(channel=INCIDENTS, text=prompt_text, blocks=prompt)["ts"],
        "escalation": web.chat_postMessage(
            channel=INCIDENTS, text=escalation_text, blocks=escalation
        )["ts"],
        "actions": web.chat_postMessage(channel=INCIDENTS, text="Ack?", blocks=actions)["ts"],
    }

    def click(ts: str, name: str, confirm: str | None = None) -> None:
        page.locator(f".message[data-ts='{ts}']").get_by_role("button", name=name).click()
        if confirm:
            page.get_by_role("alertdialog").get_by_role("button", name=confirm).click()

    click(posted["prompt"], "Create Statuspage incident")
    click(posted["escalation"], "📟 Page Platform", confirm="Page them")
    click(posted["actions"], "Acknowledge")

    wait_for_interaction(receiver, "block_actions", 3)
    delivered = [
        (p["container"]["message_ts"], p["actions"][0])
        for p in interactions(receiver, "block_actions")
    ]
    prompt_id = stored_blocks(web, posted["prompt"])[0]["block_id"]
    platform_id = stored_blocks(web, posted["escalation"])[2]["block_id"]
    actions_id = stored_blocks(web, posted["actions"])[0]["block_id"]
    assert all([prompt_id, platform_id, actions_id])
    assert [(ts, a["action_id"], a["block_id"], a["value"]) for ts, a in delivered] == [
        (posted["prompt"], "statuspage-open-button", prompt_id, "7"),
        (posted["escalation"], "page-team-button", platform_id, "7:2"),
        (posted["actions"], "ack", actions_id, "ack-7"),
    ]
    expect(page.locator(".toast")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "sandbox-response-buttons.png"))


def test_slack_s_block_ids_are_unique_and_kept_when_given(web: WebClient) -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "value": "go"}
    blocks = [
        {"type": "section", "block_id": "mine", "text": {"type": "mrkdwn", "text": "Given"}},
        {"type": "divider"},
        {"type": "actions", "elements": [button, {**button, "action_id": "named"}]},
    ]
    answer = web.chat_postMessage(channel=INCIDENTS, text="ids", blocks=blocks)

    stored = answer["message"]["blocks"]
    ids = [block["block_id"] for block in stored]
    assert ids[0] == "mine" and all(ids) and len(set(ids)) == 3
    assert [b["block_id"] for b in stored_blocks(web, answer["ts"])] == ids
    # An element without an action_id gets one too, and a given one is kept.
    generated, named = (e["action_id"] for e in stored[2]["elements"])
    assert generated and named == "named"


# --- The header -----------------------------------------------------------------------------------


def test_a_long_channel_name_and_topic_keep_the_header_on_one_line(
    page: Page, web: WebClient
) -> None:
    name = "inc-2026-12-01-card-payments-failing-for-every-customer-in-europe-and-asia"
    assert len(name) >= 70
    topic = (
        "Lead: @alice · Severity: critical · Status page updated every 30 minutes until resolved"
    )
    channel = web.conversations_create(name=name)["channel"]["id"]
    web.conversations_invite(channel=channel, users="U0ALICE")
    web.conversations_setTopic(channel=channel, topic=topic)
    parent = web.chat_postMessage(channel=channel, text="What we know so far")["ts"]
    web.chat_postMessage(channel=channel, text="A reply", thread_ts=parent)
    page.set_viewport_size({"width": 1024, "height": 768})

    page.locator(f".channel-link[data-channel='{channel}']").click()
    page.locator(f".message[data-ts='{parent}'] .replies-link").click()
    expect(page.locator("#thread")).to_be_visible()

    title = page.locator(".channel-title")
    expect(title).to_have_attribute("title", f"#{name}")
    expect(page.locator(".channel-topic")).to_have_attribute("title", topic)
    line = title.evaluate("node => parseFloat(getComputedStyle(node).lineHeight)")
    row = page.locator(".channel-title-row").bounding_box()
    topic_box = page.locator(".channel-topic").bounding_box()
    assert row and topic_box
    assert row["height"] <= line * 1.3, row
    assert topic_box["height"] <= line * 1.3, topic_box
    assert topic_box["width"] >= 120, "the topic keeps room to be read"
    # The composer's hint names the channel short, so it stays on the composer's one line.
    placeholder = page.locator("#composer-input").get_attribute("placeholder") or ""
    assert placeholder.startswith("Message #inc-2026-12-01-card-pay… — try")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sandbox-long-channel-name-1024.png"))
