"""Paging through PagerDuty from an incident channel and from the headline (SPEC §9)."""

from __future__ import annotations

import copy
import itertools
import json

import pytest
from django.urls import reverse

from core.models import Incident, Severity
from slack.workflows import config
from slack.workflows.models import EscalationTeam, Workflow
from slack.workflows.pagerduty import blocks as pagerduty_blocks
from tests.helpers import load_fixture, post_interaction
from tests.slack.channel_helpers import COMMS, channel_posts, incident_with_channel, mention

_clicks = itertools.count(1)


@pytest.fixture
def enabled(transactional_db):
    config.workflow_rows_ensure()
    config.workflow_configure(
        workflow=Workflow.objects.get(name="pagerduty"),
        enabled=True,
        values={"routing_key": "R0UTINGKEYONCALL0000000000000000"},
    )


@pytest.fixture
def teams(transactional_db):
    return [
        EscalationTeam.objects.create(
            name="Payments",
            summary="Cards and checkout",
            routing_key="R0UTINGKEYPAYMENTS00000000000000",
        ),
        EscalationTeam.objects.create(
            name="Database", summary="PostgreSQL", routing_key="R0UTINGKEYDATABASE00000000000000"
        ),
    ]


def click(client, action_id: str, value: str, user: str = "U0ALICE") -> None:
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = COMMS
    payload["actions"][0].update(
        action_id=action_id, value=value, action_ts=f"17000009{next(_clicks):02d}.000001"
    )
    assert post_interaction(client, payload).status_code == 200


def ephemerals(fake_slack, user: str) -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def test_escalate_lists_the_teams_with_a_button_each(client, fake_slack, jobs, enabled, teams):
    incident = incident_with_channel()

    mention(client, "esc")
    jobs()

    (post,) = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == COMMS]
    buttons = [b["accessory"] for b in post.params["blocks"] if "accessory" in b]
    database, payments = teams[1], teams[0]  # listed by name
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{database.pk}"),
        (pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{payments.pk}"),
    ]
    assert all("confirm" in b for b in buttons)


def test_escalate_without_the_workflow_says_how_to_enable_it(client, fake_slack, jobs, teams):
    incident_with_channel()

    mention(client, "escalate")
    jobs()

    assert any("an admin can enable the pagerduty workflow" in t for t in channel_posts(fake_slack))
    assert [c.params["name"] for c in fake_slack.calls("reactions.add")] == ["question"]


def test_paging_a_team_twice_uses_one_dedup_key(
    client, fake_slack, jobs, enabled, teams, pagerduty
):
    incident = incident_with_channel(severity=Severity.CRITICAL)

    click(client, pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{teams[0].pk}")
    click(client, pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{teams[0].pk}", user="U0BOB")
    assert pagerduty.events == []  # nothing is sent inside the request
    jobs()

    first, second = pagerduty.events
    assert (
        first["dedup_key"]
        == second["dedup_key"]
        == f"response-incident-{incident.pk}-team-{teams[0].pk}"
    )
    assert first["routing_key"] == "R0UTINGKEYPAYMENTS00000000000000"
    assert first["event_action"] == "trigger"
    assert first["payload"]["severity"] == "critical"
    assert first["payload"]["summary"] == f"Incident {incident.pk}: Payments are failing"
    assert first["links"][0]["href"].endswith(f"/incident/{incident.pk}/")
    assert ":pager: <@U0ALICE> paged Payments through PagerDuty. Sit tight." in channel_posts(
        fake_slack
    )


def test_different_teams_get_different_dedup_keys(
    client, fake_slack, jobs, enabled, teams, pagerduty
):
    incident = incident_with_channel()

    click(client, pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{teams[0].pk}")
    click(client, pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{teams[1].pk}")
    jobs()

    assert len({event["dedup_key"] for event in pagerduty.events}) == 2


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, {"status": "unauthorized"}, "PagerDuty refused the routing key"),
        (500, {"status": "error"}, "PagerDuty answered 500"),
        (
            400,
            {"status": "invalid event", "errors": ["routing_key is invalid"]},
            "routing_key is invalid",
        ),
    ],
)
def test_a_refused_page_is_explained_to_whoever_asked(
    client, fake_slack, jobs, enabled, teams, pagerduty, status, body, reason
):
    incident = incident_with_channel()
    pagerduty.reply(status, body)

    click(client, pagerduty_blocks.PAGE_TEAM, f"{incident.pk}:{teams[0].pk}", user="U0CAROL")
    jobs()

    (told,) = ephemerals(fake_slack, "U0CAROL")
    assert told.startswith("Could not page Payments: ")
    assert reason in told
    assert not any("paged Payments" in t for t in channel_posts(fake_slack))


def test_the_headline_offers_page_on_call_while_pagerduty_is_enabled(
    client, fake_slack, jobs, enabled, pagerduty
):
    incident = incident_with_channel()
    jobs()

    (headline,) = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] != COMMS]
    assert pagerduty_blocks.PAGE_ON_CALL in json.dumps(headline.params["blocks"])

    click(client, pagerduty_blocks.PAGE_ON_CALL, str(incident.pk))
    jobs()

    (event,) = pagerduty.events
    assert event["routing_key"] == "R0UTINGKEYONCALL0000000000000000"
    assert event["dedup_key"] == f"response-incident-{incident.pk}-on-call"
    assert any("paged the on-call engineer" in t for t in channel_posts(fake_slack))


def test_no_page_on_call_button_without_pagerduty(client, fake_slack, jobs):
    incident_with_channel()
    jobs()

    (headline,) = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] != COMMS]
    assert pagerduty_blocks.PAGE_ON_CALL not in json.dumps(headline.params["blocks"])
    assert Incident.objects.count() == 1


def test_the_team_admin_never_renders_the_routing_key(admin_client, teams):
    page = admin_client.get(reverse("admin:slack_escalationteam_change", args=[teams[0].pk]))

    assert "R0UTINGKEYPAYMENTS" not in page.content.decode()
    admin_client.post(
        reverse("admin:slack_escalationteam_change", args=[teams[0].pk]),
        {"name": "Payments", "summary": "Cards", "routing_key": ""},
    )
    assert (
        EscalationTeam.objects.get(pk=teams[0].pk).routing_key == "R0UTINGKEYPAYMENTS00000000000000"
    )
