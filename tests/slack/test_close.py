"""Closing from the headline's Close button, and what any close shows in Slack (SPEC §6.8)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from core import services
from core.models import Incident, Severity
from slack.flows.headline import ids
from slack.models import CommsChannel
from tests.helpers import load_fixture, post_interaction


def close_click(incident: Incident, *, user: str = "U0BOB", at: str = "1700000020.123456"):
    payload: dict[str, Any] = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["actions"][0].update(action_id=ids.CLOSE_INCIDENT, value=str(incident.pk), action_ts=at)
    return payload


@pytest.fixture
def incident(fake_slack, jobs) -> Incident:
    """A live incident whose headline is posted; the Slack calls so far are forgotten."""
    incident = services.incident_declare(
        title="Payments are failing",
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
        lead=services.external_user_get_or_create(external_id="U0LEAD"),
        severity=Severity.MAJOR,
    )
    jobs()
    assert len(posts_to(fake_slack, "C0INCIDENTS")) == 1  # the headline (the lead has a DM)
    fake_slack.reset()
    return incident


def posts_to(fake_slack, channel: str) -> list[str]:
    return [
        c.params["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == channel
    ]


def test_close_resolves_the_headline_and_asks_the_lead_for_the_report(
    client, fake_slack, jobs, incident
):
    response = post_interaction(client, close_click(incident))

    assert response.status_code == 200
    assert fake_slack.calls() == []  # closing happens in the worker
    jobs()

    incident.refresh_from_db()
    assert incident.is_closed
    [update] = fake_slack.calls("chat.update")
    assert "*Status:* 💧 Resolved" in json.dumps(update.params["blocks"], ensure_ascii=False)
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]
    [dm_open] = fake_slack.calls("conversations.open")
    assert dm_open.params["users"] == "U0LEAD"
    [dm] = posts_to(fake_slack, "D0LEAD")
    assert f"http://testserver/incident/{incident.pk}/" in dm
    assert incident.timeline_events.filter(metadata__field="status").get().author.external_id == (
        "U0BOB"
    )


def test_closing_again_says_when_it_was_closed(client, fake_slack, jobs, incident):
    post_interaction(client, close_click(incident))
    jobs()
    fake_slack.reset()

    post_interaction(client, close_click(incident, user="U0CAROL", at="1700000090.000001"))
    jobs()

    incident.refresh_from_db()
    [note] = fake_slack.calls("chat.postEphemeral")
    assert (note.params["channel"], note.params["user"]) == ("C0INCIDENTS", "U0CAROL")
    assert "already over" in note.params["text"]
    assert f"<!date^{int(incident.end_time.timestamp())}^" in note.params["text"]
    assert fake_slack.calls("chat.update") == []
    assert fake_slack.calls("chat.postMessage") == []


def test_the_comms_channel_is_told(client, fake_slack, jobs, incident):
    CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1-payments")

    post_interaction(client, close_click(incident))
    jobs()

    [notice] = posts_to(fake_slack, "C0COMMS")
    assert "resolved by <@U0BOB>" in notice
    assert f"/incident/{incident.pk}/" in notice


def test_without_a_lead_the_reporter_is_asked(client, fake_slack, jobs, incident):
    services.incident_update(incident=incident, lead=None)
    jobs()
    fake_slack.reset()

    post_interaction(client, close_click(incident))
    jobs()

    assert fake_slack.last_call("conversations.open").params["users"] == "U0ALICE"
    assert len(posts_to(fake_slack, "D0ALICE")) == 1


def test_a_close_from_anywhere_shows_the_same_in_slack(fake_slack, jobs, incident):
    CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1-payments")

    services.incident_close(incident=incident, actor=None)  # as @incident close or the API would
    jobs()

    assert len(fake_slack.calls("chat.update")) == 1
    assert len(posts_to(fake_slack, "C0COMMS")) == 1
    assert len(posts_to(fake_slack, "D0LEAD")) == 1


def test_a_button_for_an_unknown_incident_is_explained(client, fake_slack, jobs, incident):
    gone = Incident(pk=incident.pk + 1000)

    post_interaction(client, close_click(gone))
    jobs()

    [note] = fake_slack.calls("chat.postEphemeral")
    assert f"couldn't find incident {gone.pk}" in note.params["text"]
