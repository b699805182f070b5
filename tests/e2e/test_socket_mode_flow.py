"""The flow of SPEC §6 over Socket Mode (SPEC §17): ``make run`` with ``SLACK_TRANSPORT=socket``
against the sandbox, which then delivers every command, click, submission and event as an envelope
on the connection ``manage.py slack_socket`` holds, and reads the answers from the acks.

Mid-way the sandbox asks the client to reconnect, as Slack does when it refreshes a link, and later
cuts the connection outright; the flow goes on across both, and nothing is ever POSTed.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.sandbox_stack import SandboxStack, socket_stack  # noqa: F401 (fixture)
from tests.e2e.test_sandbox_flow import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    CREATE_COMMS_CHANNEL,
    DAVE,
    _timeline_entry,
    bot_reply,
    headline_says,
    headline_status,
    open_report,
    report_values,
    say,
    shown,
)

pytestmark = pytest.mark.slow

TITLE = "Refunds are stuck"


def test_report_run_and_close_an_incident_over_socket_mode(socket_stack: SandboxStack):  # noqa: F811
    slack = socket_stack.sandbox
    first = slack.wait_for_socket()

    # /incident → the report modal; a missing title comes back in the acknowledgement.
    report = open_report(slack, ALICE, "#incidents", "refunds are stuck")
    refused = slack.submit(ALICE, report["id"], report_values(report["view"], title=""))
    assert refused["errors"] and "title" in refused["errors"], refused
    assert [v["id"] for v in slack.views(ALICE)] == [report["id"]], "the modal stays open"

    values = report_values(report["view"], title=TITLE, summary="Refunds wait for hours", lead=BOB)
    assert slack.submit(ALICE, report["id"], values)["closed"]
    post = headline_says(slack, TITLE, "<@U0ALICE>", "<@U0BOB>", "Investigating")
    incident_id = re.search(r"Incident (\d+)", post["text"]).group(1)

    # Slack refreshes the link: the client reconnects and the clicks keep working.
    assert slack.ask_socket_to_reconnect() == 1
    slack.wait_for_socket(opened=first["connections_opened"] + 1)

    answer = slack.click(CAROL, CREATE_COMMS_CHANNEL, channel="#incidents", message_ts=post["ts"])
    assert answer["status"] == 200, answer
    name = f"inc-{incident_id}-refunds-are-stuck"
    channel = slack.wait_for(
        lambda: (c := slack.channel(name)) and c["bookmarks"] and c["topic"] and c,
        message=f"#{name} set up",
    )
    assert {ALICE, BOB, CAROL, BOT} <= set(channel["members"])
    comms = channel["id"]
    headline_says(slack, TITLE, f"<#{comms}>")

    say(slack, comms, "lead @dave")
    say(slack, comms, "severity major")
    headline_says(slack, TITLE, "<@U0DAVE>", "Major")

    # The connection drops with no goodbye: the client notices and connects again.
    opened = slack.socket()["connections_opened"]
    assert slack.drop_socket() == 1
    slack.wait_for_socket(opened=opened + 1)

    pinned = slack.message(BOB, comms, "Restarted the refunds queue")
    slack.pin(ALICE, comms, pinned)
    assert slack.wait_for(
        lambda: _timeline_entry(socket_stack, incident_id, "Restarted the refunds queue"),
        message="the pinned message on the timeline",
    )

    say(slack, comms, "close")
    bot_reply(slack, comms, "This incident was resolved by <@U0ALICE>")
    post = headline_status(slack, TITLE, "Resolved")  # its Status line; the menu offers it too
    assert '"type": "button"' not in shown(post)
    assert slack.wait_for(
        lambda: [c for c in slack.channels() if c["is_im"] and set(c["members"]) == {BOT, DAVE}],
        message="a DM to the lead",
    )

    # Everything went over the socket, each delivery acknowledged in time (none retried: an
    # event sent again after the drop would be de-duplicated, but none was lost either).
    deliveries = slack.deliveries()
    assert deliveries and {d["transport"] for d in deliveries} == {"socket"}, deliveries
    answered = [d for d in deliveries if d["status"] == 200]
    assert {d["kind"] for d in answered} >= {"command", "interaction", "event"}, deliveries
    unanswered = [d for d in deliveries if d["status"] != 200]
    assert all(d["kind"] == "event" for d in unanswered), unanswered
