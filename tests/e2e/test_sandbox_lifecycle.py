"""One incident's whole lifecycle (SPEC §14) with Response running for real against the sandbox.

Declared "not sure yet" (triage), confirmed, fixed, monitored, resolved, reopened with a reason
and resolved again; roles given and listed; every milestone form typed by a person whose Slack
time zone is not UTC; every refusal answered with ❓ and changing nothing. Checked where people
see it (the headline, the bot's replies) and, for what Slack does not show, in Response's REST API
(the incident's milestones and roles, its timeline).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from typing import Any

import pytest

from tests.e2e.sandbox_stack import SandboxClient, SandboxStack, sandbox_stack  # noqa: F401 (fixture)
from tests.e2e.test_sandbox_flow import (
    ALICE,
    BOB,
    BOT,
    CREATE_COMMS_CHANNEL,
    DAVE,
    bot_reply,
    headline,
    headline_status,
    open_report,
    reacted,
    report_values,
    shown,
)

pytestmark = pytest.mark.slow

# Carol's Slack zone (the sandbox's seed): UTC+8 all year, so "14:05" typed by her is never UTC.
CAROL = "U0CAROL"
CAROL_ZONE = zoneinfo.ZoneInfo("Asia/Singapore")
ASKED = "question"
DONE = "white_check_mark"
# A time typed "10m ago" is read when the bot gets it: allow for the trip there.
SLACK = dt.timedelta(seconds=90)


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> SandboxStack:
    running: SandboxStack = request.getfixturevalue("sandbox_stack")
    running.sandbox.clear_faults()
    return running


# --- Acting and looking ---------------------------------------------------------------------------


def declare(
    slack: SandboxClient, title: str, *, not_sure: bool = False, drill: bool = False
) -> dict:
    """The report modal submitted by Alice, with the boxes ticked as asked; the headline."""
    report = open_report(slack, ALICE, "#incidents", title.lower())
    view = report["view"]
    values = report_values(view, title=title, summary="Card payments return 502", lead=BOB)
    values |= ticked(view, triage=not_sure, drill=drill)
    result = slack.submit(ALICE, report["id"], values)
    assert result["closed"] and not result["errors"], result
    return headline(slack, title)


def ticked(view: dict, **boxes: bool) -> dict:
    """The boxes' state as Slack's client sends it: the ticked option, or an empty list."""
    values = {}
    for block_id, tick in boxes.items():
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        element = block["element"]
        assert element["type"] == "checkboxes", block
        chosen = element["options"][:1] if tick else []
        values[block_id] = {
            element["action_id"]: {"type": "checkboxes", "selected_options": chosen}
        }
    return values


def headline_now(slack: SandboxClient, title: str, *needles: str) -> str:
    """What the headline says once it says every one of ``needles``."""

    def current() -> str | None:
        said = shown(headline(slack, title))
        return said if all(n in said for n in needles) else None

    return slack.wait_for(current, message=f"the headline to say {needles}")


def say(slack: SandboxClient, channel: str, command: str, *, who: str = CAROL, answer: str = DONE):
    """``@incident <command>`` typed by ``who``; waits for the bot's ✅ (or ❓) on it."""
    ts = slack.message(who, channel, f"@incident {command}")
    slack.wait_for(
        lambda: reacted(slack, channel, ts, answer) or reacted(slack, channel, ts, other(answer)),
        message=f"an answer to {command!r}",
    )
    assert reacted(slack, channel, ts, answer), f"{command!r} was not answered with :{answer}:"
    return ts


def other(answer: str) -> str:
    return ASKED if answer == DONE else DONE


def refused(slack: SandboxClient, channel: str, command: str, *, hint: str) -> str:
    """Answered ❓, and then told (after the command, not by an earlier reply) ``hint``: what
    is accepted, or why not. Returns what the reply said."""
    ts = say(slack, channel, command, answer=ASKED)
    reply = slack.wait_for(
        lambda: reply_after(slack, channel, ts, hint), message=f"a reply to {command!r}"
    )
    return shown(reply)


def reply_after(slack: SandboxClient, channel: str, ts: str, needle: str) -> dict | None:
    """The bot's first message after ``ts`` that says ``needle``, if there is one yet."""
    return next(
        (
            m
            for m in slack.messages(channel, CAROL)
            if m["user"] == BOT and float(m["ts"]) > float(ts) and needle in shown(m)
        ),
        None,
    )


def incident(stack: SandboxStack, incident_id: str) -> dict:
    return stack.api(f"/core/incidents/{incident_id}/")


def milestone(stack: SandboxStack, incident_id: str, kind: str) -> dt.datetime | None:
    value = incident(stack, incident_id)["milestones"][kind]
    return dt.datetime.fromisoformat(value) if value else None


def status_of(stack: SandboxStack, incident_id: str) -> str:
    return incident(stack, incident_id)["status"]


def timeline(stack: SandboxStack, incident_id: str) -> list[dict]:
    page = stack.api("/core/timeline/", incident=incident_id, limit=500)
    return page["results"] if isinstance(page, dict) else page


def changes_of(stack: SandboxStack, incident_id: str, field: str) -> list[dict]:
    return [
        e["metadata"] for e in timeline(stack, incident_id) if e["metadata"].get("field") == field
    ]


def in_carols_zone(moment: dt.datetime, *, with_date: bool) -> str:
    local = moment.astimezone(CAROL_ZONE)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def in_utc(moment: dt.datetime, *, with_date: bool) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def to_the_minute(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def set_milestone(
    stack: SandboxStack, channel: str, incident_id: str, kind: str, when: str
) -> tuple[dt.datetime, dt.datetime]:
    """``milestone <kind> <when>`` typed by Carol: (when it was sent, the time it recorded)."""
    sent = dt.datetime.now(dt.UTC)
    say(stack.sandbox, channel, f"milestone {kind} {when}")
    recorded = milestone(stack, incident_id, kind)
    assert recorded is not None, f"{kind} was not set by {when!r}"
    return sent, recorded


def near(recorded: dt.datetime, expected: dt.datetime) -> bool:
    return abs(recorded - expected) <= SLACK


# --- The lifecycle -------------------------------------------------------------------------------


def test_one_incident_from_triage_to_resolved_twice(stack: SandboxStack):
    slack = stack.sandbox
    title = "Checkout declines every card"

    # Declared "not sure yet": triage, shown on the headline.
    post = declare(slack, title, not_sure=True)
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    assert status_of(stack, incident_id) == "triage"
    headline_status(slack, title, "Triage")
    labels = {r["name"]: r["label"] for r in stack.api("/core/roles/")["results"]}

    # Carol opens the channel (and so is invited to it); she types there from now on.
    slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    name = f"inc-{incident_id}-checkout-declines-every-card"
    channel = slack.wait_for(
        lambda: (c := slack.channel(name)) and CAROL in c["members"] and c, message=f"#{name}"
    )
    comms = channel["id"]
    bot_reply(slack, comms, "Welcome to the channel of incident", user=CAROL)

    # Refusals first: each ❓ with what is accepted, and nothing changes.
    refused(slack, comms, "status fixing", hint="investigating")  # triage cannot go to fixing
    refused(slack, comms, "status bogus", hint="Statuses:")
    refused(slack, comms, "role janitor @dave", hint="janitor")
    refused(slack, comms, "role comms bob", hint="couldn't tell who")
    refused(slack, comms, "lead @nobody", hint="couldn't tell who")
    refused(slack, comms, "role scribe <@U0GHOST>", hint="not a member of this workspace")
    refused(slack, comms, "milestone lunch now", hint="Milestones:")
    refused(slack, comms, "milestone detected at teatime", hint="10m ago")
    assert status_of(stack, incident_id) == "triage"
    assert incident(stack, incident_id)["roles"] == [
        {"role": "lead", "label": labels["lead"], "holder": _person(stack, BOB)}
    ]

    # Confirmed: triage → investigating, which acknowledges it.
    say(slack, comms, "status investigating")
    headline_status(slack, title, "Investigating")
    assert milestone(stack, incident_id, "acknowledged") is not None

    # Roles: comms to Dave, listed with who holds each; the headline shows every held role.
    say(slack, comms, "role comms @dave")
    bot_reply(slack, comms, f"<@{DAVE}> is now the {labels['comms']}", user=CAROL)
    say(slack, comms, "roles")
    listing = bot_reply(slack, comms, f"(`comms`): <@{DAVE}>", user=CAROL)
    for role_name, label in labels.items():
        assert label in shown(listing) and f"`{role_name}`" in shown(listing)
    headline_now(slack, title, f"<@{BOB}>", f"<@{DAVE}>", labels["lead"], labels["comms"])

    # Every milestone form, typed by Carol (UTC+8); each kept in order (started first, as the
    # others may not come before it).
    declared = milestone(stack, incident_id, "declared")
    typed: list[tuple[str, dt.datetime]] = []

    def typing(kind: str, when: str) -> tuple[dt.datetime, dt.datetime]:
        sent, recorded = set_milestone(stack, comms, incident_id, kind, when)
        typed.append((kind, recorded))
        return sent, recorded

    sent, started = typing("started", "2h ago")
    assert near(started, sent - dt.timedelta(hours=2))
    moment = declared - dt.timedelta(minutes=110)
    _, detected = typing("detected", in_carols_zone(moment, with_date=False))
    assert detected == to_the_minute(moment), "14:05 is read in the speaker's zone"
    moment = declared - dt.timedelta(minutes=105)
    _, detected = typing("detected", in_utc(moment, with_date=False))
    assert detected == to_the_minute(moment)
    moment = declared - dt.timedelta(minutes=115)
    _, started = typing("started", in_carols_zone(moment, with_date=True))
    assert started == to_the_minute(moment), "2026-12-01 14:05 is read in the speaker's zone"
    moment = declared - dt.timedelta(minutes=118)
    _, started = typing("started", in_utc(moment, with_date=True))
    assert started == to_the_minute(moment)
    sent, detected = typing("detected", "10m ago")
    assert near(detected, sent - dt.timedelta(minutes=10))
    sent, acknowledged = typing("acknowledged", "now")
    assert near(acknowledged, sent)

    # Out of order and in the future: refused, naming both milestones; nothing moved.
    said = refused(slack, comms, "milestone detected 3h ago", hint="must not be after")
    assert "started" in said.lower() and "detected" in said.lower(), "both milestones named"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    refused(slack, comms, f"milestone detected {in_utc(later, with_date=True)}", hint="future")
    assert milestone(stack, incident_id, "detected") == detected

    # Fixing → monitoring (sets mitigated) → resolved.
    say(slack, comms, "status fixing")
    headline_status(slack, title, "Fixing")
    say(slack, comms, "status monitoring")
    headline_status(slack, title, "Monitoring")
    assert milestone(stack, incident_id, "mitigated") is not None
    say(slack, comms, "status resolved")
    headline_status(slack, title, "Resolved")
    first_end = milestone(stack, incident_id, "resolved")
    assert first_end is not None

    # Reopened: only with a reason; the end time is cleared (and kept on the timeline).
    refused(slack, comms, "status investigating", hint="reason")
    assert status_of(stack, incident_id) == "resolved"
    say(slack, comms, "status investigating the 502s came back")
    headline_status(slack, title, "Investigating")
    assert milestone(stack, incident_id, "resolved") is None
    reopen = changes_of(stack, incident_id, "status")[-1]
    assert (reopen["old"], reopen["new"]) == ("resolved", "investigating")
    assert reopen["reason"] == "the 502s came back"
    assert dt.datetime.fromisoformat(reopen["previous_end_time"]) == first_end

    say(slack, comms, "status resolved")
    headline_status(slack, title, "Resolved")
    assert status_of(stack, incident_id) == "resolved"

    # The timeline has every change: each move, the role, each milestone typed.
    moves = [(c["old"], c["new"]) for c in changes_of(stack, incident_id, "status")]
    assert moves == [
        ("triage", "investigating"),
        ("investigating", "fixing"),
        ("fixing", "monitoring"),
        ("monitoring", "resolved"),
        ("resolved", "investigating"),
        ("investigating", "resolved"),
    ]
    [comms_change] = changes_of(stack, incident_id, "comms")
    assert comms_change["new"]["id"] == DAVE
    on_timeline = {
        (c["milestone"], dt.datetime.fromisoformat(c["new"]))
        for c in changes_of(stack, incident_id, "milestone")
        if c["new"]
    }
    assert set(typed) <= on_timeline, "every milestone typed is on the timeline"


def test_the_status_menu_on_the_headline_moves_the_status(stack: SandboxStack):
    slack = stack.sandbox
    title = "Search returns nothing"
    post = declare(slack, title)
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)
    assert status_of(stack, incident_id) == "investigating"

    menu = _status_menu(post)
    fixing = next(o for o in menu["options"] if "Fixing" in o["text"]["text"])
    answer = slack.click(
        CAROL,
        menu["action_id"],
        channel="#incidents",
        message_ts=post["ts"],
        selected_option=fixing,
    )
    assert answer["status"] == 200, answer

    slack.wait_for(lambda: status_of(stack, incident_id) == "fixing", message="fixing")
    headline_status(slack, title, "Fixing")
    [move] = changes_of(stack, incident_id, "status")
    assert (move["old"], move["new"]) == ("investigating", "fixing")


def test_a_drill_is_labelled_as_one_on_its_headline(stack: SandboxStack):
    slack = stack.sandbox
    drill = declare(slack, "Practice: the database is gone", drill=True)
    real = declare(slack, "Logins time out")
    drill_id = re.search(r"Incident (\d+)", drill["text"]).group(1)
    real_id = re.search(r"Incident (\d+)", real["text"]).group(1)

    assert (incident(stack, drill_id)["drill"], incident(stack, real_id)["drill"]) == (True, False)
    assert status_of(stack, drill_id) == "investigating"  # a drill runs the whole flow
    said = headline_now(slack, "Practice: the database is gone")
    assert re.search(r"\bdrill\b", said, re.IGNORECASE), said
    assert not re.search(r"\bdrill\b", headline_now(slack, "Logins time out"), re.IGNORECASE)


# --- Helpers -------------------------------------------------------------------------------------


def _status_menu(post: dict) -> dict[str, Any]:
    for block in post["blocks"]:
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        for element in elements:
            if element.get("type") == "static_select" and "status" in element.get("action_id", ""):
                return element
    raise AssertionError(f"no Status menu on the headline: {json.dumps(post['blocks'])}")


def _person(stack: SandboxStack, external_id: str) -> dict:
    return stack.api(f"/core/users/{external_id}/")
