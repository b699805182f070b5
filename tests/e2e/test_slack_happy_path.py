"""The whole flow of SPEC §6 through Response's Slack endpoints, as Slack would drive it.

Signed requests go to /slack/*; the worker's jobs run; the stand-in Slack records every Web API
call. The headline in #incidents must reflect each change.
"""

from __future__ import annotations

import json

from core.lifecycle.statuses import IncidentStatus
from core.models import Action, Incident, TimelineEventKind
from slack.flows.headline import ids
from slack.models import CommsChannel, HeadlinePost
from tests.helpers import load_fixture, post_event, post_form, post_interaction
from tests.slack.channel_helpers import event_from
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID


def headline_text(fake_slack, ts: str) -> str:
    """Everything the current headline says: its latest version's blocks, as one string."""
    versions = [c.params for c in fake_slack.calls("chat.update") if c.params.get("ts") == ts] or [
        c.params
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == INCIDENTS_CHANNEL_ID
    ]
    return json.dumps(versions[-1]["blocks"], ensure_ascii=False)


def click(client, action_id: str, incident: Incident, user: str = "U0ALICE") -> None:
    payload = load_fixture("declare_headline_click")
    payload["user"]["id"] = user
    payload["actions"][0].update(action_id=action_id, value=str(incident.pk))
    assert post_interaction(client, payload).status_code == 200


def in_channel(client, channel_id: str, fixture: str, **fields) -> None:
    envelope = event_from(fixture, **fields)
    for key in ("channel", "channel_id"):
        if key in envelope["event"]:
            envelope["event"][key] = channel_id
    if "item" in envelope["event"]:
        envelope["event"]["item"]["channel"] = channel_id
    assert post_event(client, envelope).status_code == 200


def say(client, channel_id: str, command: str, user: str = "U0ALICE") -> None:
    in_channel(client, channel_id, "event_app_mention", text=f"<@UBOT> {command}", user=user)


def test_declare_coordinate_and_close_an_incident(client, fake_slack, jobs):
    # /incident → answered at once, the report modal opened just after.
    command = {**load_fixture("slash_command"), "text": "payments are failing"}
    assert post_form(client, "/slack/slash_command", command).status_code == 200
    (opened,) = fake_slack.wait_for_calls("views.open")
    assert "payments are failing" in json.dumps(opened.params["view"])

    # Submission → the incident exists at once; the headline follows from the worker.
    assert post_interaction(client, load_fixture("declare_view_submission")).status_code == 200
    incident = Incident.objects.get()
    jobs()
    headline = HeadlinePost.objects.get(incident=incident)
    assert headline.channel_id == INCIDENTS_CHANNEL_ID
    assert "*Payments are failing*" in headline_text(fake_slack, headline.ts)
    assert ids.CREATE_COMMS_CHANNEL in headline_text(fake_slack, headline.ts)

    # Create comms channel → name, invites, topic, welcome, bookmark; the headline links it.
    click(client, ids.CREATE_COMMS_CHANNEL, incident)
    jobs()
    comms = CommsChannel.objects.get(incident=incident)
    assert comms.name == f"inc-{incident.pk}-payments-are-failing"
    invited = {
        user
        for call in fake_slack.calls("conversations.invite")
        for user in call.params["users"].split(",")
    }
    assert {"U0ALICE", "U0LEAD"} <= invited
    assert fake_slack.calls("conversations.setTopic")
    assert any(
        c.params["channel"] == comms.channel_id for c in fake_slack.calls("chat.postMessage")
    )
    assert fake_slack.calls("bookmarks.add")
    text = headline_text(fake_slack, headline.ts)
    assert f"<#{comms.channel_id}>" in text
    assert ids.CREATE_COMMS_CHANNEL not in text

    # @incident commands, each reflected where it shows.
    say(client, comms.channel_id, "lead <@U0BOB>")
    jobs()
    assert "<@U0BOB>" in headline_text(fake_slack, headline.ts)
    say(client, comms.channel_id, "severity critical")
    jobs()
    assert "critical" in headline_text(fake_slack, headline.ts).lower()
    say(client, comms.channel_id, "summary Card payments fail at checkout.\nAbout 30%.")
    say(client, comms.channel_id, "impact Customers cannot pay")
    say(client, comms.channel_id, "action Add an alert on 502s")
    say(client, comms.channel_id, "rename payments outage")
    say(client, comms.channel_id, "duration")
    say(client, comms.channel_id, "help")
    jobs()
    incident.refresh_from_db()
    assert incident.summary == "Card payments fail at checkout.\nAbout 30%."
    assert incident.impact == "Customers cannot pay"
    assert Action.objects.get(incident=incident).details == "Add an alert on 502s"
    assert fake_slack.calls("conversations.rename")[-1].params["name"] == "inc-payments-outage"
    replies = [
        c.params["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == comms.channel_id
    ]
    assert any(r.startswith("The incident has been running for") for r in replies)
    assert any("Commands:" in r for r in replies)
    assert len(fake_slack.calls("reactions.add")) == 8

    # Pin → timeline; edit → entry follows; unpin → gone.
    in_channel(client, comms.channel_id, "event_pin_added")
    in_channel(client, comms.channel_id, "event_message_changed")
    jobs()
    pins = incident.timeline_events.filter(kind=TimelineEventKind.PINNED_MESSAGE)
    assert [p.text for p in pins] == ["Rolled back the payments deploy (v2.3.1)"]
    in_channel(client, comms.channel_id, "event_pin_removed")
    jobs()
    assert not pins.all().exists()

    # Close → resolved headline without buttons, the channel told, the lead asked by DM.
    say(client, comms.channel_id, "close")
    jobs()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.end_time is not None
    final = headline_text(fake_slack, headline.ts)
    assert "Resolved" in final
    assert '"type": "button"' not in final
    assert fake_slack.calls("conversations.open")[-1].params["users"] == "U0BOB"
