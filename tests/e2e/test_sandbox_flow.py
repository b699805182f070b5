"""The whole flow of SPEC §6 with Response running for real against the Slack sandbox.

Everything is done as the sandbox's people would do it (its control API: commands, messages,
clicks, submissions, pins) and checked where they would see it: messages, modals, channels.
The timeline, which Slack does not show, is read from Response's REST API.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.sandbox_stack import SandboxClient, SandboxStack, sandbox_stack  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
BOT = "U0BOT"
CREATE_COMMS_CHANNEL = "create-comms-channel-button"
TITLE = "Card payments fail"


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> SandboxStack:
    """The session's running Response and sandbox (``sandbox_stack``), with no faults left."""
    running: SandboxStack = request.getfixturevalue("sandbox_stack")
    running.sandbox.clear_faults()
    return running


# --- Acting and looking, as a person in the sandbox ----------------------------------------------


def _option(view: dict, block_id: str, value: str) -> dict:
    """The option of a select or radio group in the view, as Slack's client sends it back."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return next(o for o in block["element"]["options"] if o["value"] == value)


def report_values(view: dict, *, title: str, summary: str = "", lead: str | None = None) -> dict:
    """``view.state.values`` of the report modal filled in as a person would."""
    return {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "report_kind": {
            "report_kind": {
                "type": "radio_buttons",
                "selected_option": _option(view, "report_kind", "live"),
            }
        },
        # Neither box ticked: a real incident, starting in investigating.
        "triage": {"triage": {"type": "checkboxes", "selected_options": []}},
        "drill": {"drill": {"type": "checkboxes", "selected_options": []}},
        "summary": {"summary": {"type": "plain_text_input", "value": summary or None}},
        "impact": {"impact": {"type": "plain_text_input", "value": None}},
        "lead": {"lead": {"type": "users_select", "selected_user": lead}},
        "severity": {"severity": {"type": "static_select", "selected_option": None}},
    }


def open_report(slack: SandboxClient, user: str, channel: str, text: str) -> dict:
    answer = slack.command(user, channel, text)
    assert answer["status"] == 200, answer
    stack = slack.wait_for(lambda: slack.views(user), message="the report modal")
    return stack[-1]


def headlines(slack: SandboxClient, title: str) -> list[dict]:
    return [
        m
        for m in slack.messages("#incidents")
        if m["user"] == BOT and f"*{title}*" in json.dumps(m["blocks"], ensure_ascii=False)
    ]


def headline(slack: SandboxClient, title: str) -> dict:
    found = slack.wait_for(lambda: headlines(slack, title), message=f"the headline of {title}")
    return found[0]


def permalink_part(message: dict) -> str:
    """What every link to this message contains (``…/archives/C…/p<ts without the dot>``)."""
    return "/p" + message["ts"].replace(".", "")


def shown(message: dict) -> str:
    """What a person reads in a message: its text and every text in its blocks."""
    return message["text"] + " " + json.dumps(message["blocks"], ensure_ascii=False)


def status_shown(message: dict) -> str:
    """The headline's Status line (not its Status menu, whose options name other statuses)."""
    texts = [
        text["text"]
        for block in message["blocks"]
        for text in [block.get("text") or {}, *(block.get("fields") or [])]
        if "Status:" in text.get("text", "")
    ]
    assert texts, f"no Status on the headline: {json.dumps(message['blocks'])}"
    return texts[0]


def headline_status(slack: SandboxClient, title: str, label: str) -> dict:
    """Waits for the headline's Status line to name ``label``; the headline then."""

    def current() -> dict | None:
        message = headline(slack, title)
        return message if label in status_shown(message) else None

    return slack.wait_for(current, message=f"the headline's status to be {label}")


def headline_says(slack: SandboxClient, title: str, *needles: str) -> dict:
    def current() -> dict | None:
        message = headline(slack, title)
        return message if all(n in shown(message) for n in needles) else None

    return slack.wait_for(current, message=f"the headline to say {needles}")


def bot_reply(slack: SandboxClient, channel: str, needle: str, user: str = ALICE) -> dict:
    def found() -> list[dict]:
        return [m for m in slack.messages(channel, user) if m["user"] == BOT and needle in shown(m)]

    return slack.wait_for(found, message=f"the bot to say {needle!r}")[-1]


def reacted(slack: SandboxClient, channel: str, ts: str, name: str) -> bool:
    message = next(m for m in slack.messages(channel) if m["ts"] == ts)
    return any(r["name"] == name and BOT in r.get("users", []) for r in message["reactions"])


def say(slack: SandboxClient, channel: str, command: str, *, expect: str = "white_check_mark"):
    """``@incident <command>`` typed in the channel; waits for the bot's ✅ (or ❓)."""
    ts = slack.message(ALICE, channel, f"@incident {command}")
    slack.wait_for(lambda: reacted(slack, channel, ts, expect), message=f"{expect} on {command}")
    return ts


def declare(slack: SandboxClient, title: str, *, lead: str | None = None) -> dict:
    report = open_report(slack, ALICE, "#incidents", title.lower())
    values = report_values(
        report["view"], title=title, summary="Card payments return 502", lead=lead
    )
    result = slack.submit(ALICE, report["id"], values)
    assert result["closed"] and not result["errors"], result
    return headline(slack, title)


# --- The flow ------------------------------------------------------------------------------------


def test_headline_appears_once_when_slack_first_answers_429(stack: SandboxStack):
    slack = stack.sandbox
    earlier = len(slack.calls("chat.postMessage"))
    slack.fault("chat.postMessage", status=429, retry_after=1, times=1)
    try:
        post = declare(slack, "Checkout is slow")
        # The thanks to the reporter, which links the headline, is posted after it: once it is
        # there, the headline job is over and no second copy can follow.
        bot_reply(slack, "#incidents", permalink_part(post))
    finally:
        slack.clear_faults()

    assert len(headlines(slack, "Checkout is slow")) == 1
    statuses = [c["status"] for c in slack.calls("chat.postMessage")[earlier:]]
    assert statuses[:2] == [429, 200], "the first post was refused, the retry went through"


def test_report_an_incident_run_it_in_its_channel_and_close_it(stack: SandboxStack):
    slack = stack.sandbox

    # /incident → the report modal, the title prefilled; a missing title is refused in it.
    report = open_report(slack, ALICE, "#incidents", "card payments fail")
    assert "card payments fail" in json.dumps(report["view"]["blocks"])
    refused = slack.submit(ALICE, report["id"], report_values(report["view"], title=""))
    assert refused["errors"] and "title" in refused["errors"], refused
    assert [v["id"] for v in slack.views(ALICE)] == [report["id"]], "the modal stays open"

    # Submit → the headline in #incidents and a thanks only the reporter sees.
    values = report_values(
        report["view"], title=TITLE, summary="Card payments return 502", lead=BOB
    )
    assert slack.submit(ALICE, report["id"], values)["closed"]
    assert slack.views(ALICE) == []
    post = headline_says(slack, TITLE, "<@U0ALICE>", "<@U0BOB>", "Investigating")
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    thanks = bot_reply(slack, "#incidents", permalink_part(post))
    assert thanks.get("ephemeral") and "Thanks for raising the incident" in thanks["text"]
    assert thanks["ts"] not in {m["ts"] for m in slack.messages("#incidents", BOB)}

    # Create comms channel → one channel, with its people, topic and bookmark, linked.
    answer = slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    assert answer["status"] == 200, answer
    name = f"inc-{incident_id}-card-payments-fail"
    channel = slack.wait_for(
        lambda: (c := slack.channel(name)) and c["bookmarks"] and c["topic"] and c,
        message=f"#{name} set up",
    )
    assert {ALICE, BOB, CAROL, BOT} <= set(channel["members"])
    assert TITLE in channel["topic"]
    assert channel["bookmarks"][0]["link"].endswith(f"/incident/{incident_id}/")
    comms = channel["id"]
    bot_reply(slack, comms, "Welcome to the channel of incident")
    post = headline_says(slack, TITLE, f"<#{comms}>")
    assert CREATE_COMMS_CHANNEL not in shown(post)

    # @incident commands: each handled (✅), answered and reflected in the headline.
    say(slack, comms, "lead @dave")
    bot_reply(slack, comms, "<@U0DAVE> is now leading this incident")
    say(slack, comms, "severity critical")
    headline_says(slack, TITLE, "<@U0DAVE>", "Critical")
    say(slack, comms, "summary Card payments fail at checkout.\nAbout 30%.")
    bot_reply(slack, comms, "The summary has been updated")
    say(slack, comms, "impact Customers cannot pay")
    bot_reply(slack, comms, "The impact has been updated")
    say(slack, comms, "action Add an alert on 502s")
    bot_reply(slack, comms, "Follow-up logged: Add an alert on 502s")
    say(slack, comms, "frobnicate", expect="question")
    bot_reply(slack, comms, "I don't know the command `frobnicate`")
    say(slack, comms, "help")
    bot_reply(slack, comms, "Commands:")

    # A pinned message becomes a timeline entry.
    pinned = slack.message(BOB, comms, "Rolled back the payments deploy")
    slack.pin(ALICE, comms, pinned)
    entry = slack.wait_for(
        lambda: _timeline_entry(stack, incident_id, "Rolled back the payments deploy"),
        message="the pinned message on the timeline",
    )
    assert entry

    # Close → the channel is told, the headline says resolved with no buttons left.
    say(slack, comms, "close")
    bot_reply(slack, comms, "This incident was resolved by <@U0ALICE>")
    # The Status line, not just "Resolved": the Status menu offers it long before.
    post = headline_status(slack, TITLE, "Resolved")
    assert '"type": "button"' not in shown(post)

    # The DM channel can exist a moment before the bot's message is in it: wait for both.
    def dm_to_the_lead() -> list[dict]:
        dms = [c for c in slack.channels() if c["is_im"] and set(c["members"]) == {BOT, DAVE}]
        return [
            m
            for dm in dms
            for m in slack.messages(dm["id"])
            if f"/incident/{incident_id}/" in shown(m)
        ]

    assert slack.wait_for(dm_to_the_lead, message="a DM to the lead about the report")


def _timeline_entry(stack: SandboxStack, incident_id: str, text: str) -> Any:
    page = stack.api("/core/timeline/", incident=incident_id)
    entries = page["results"] if isinstance(page, dict) else page
    return next((e for e in entries if text in json.dumps(e, ensure_ascii=False)), None)
