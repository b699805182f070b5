"""The severity PagerDuty is told for each Response severity (SPEC §9), as sent in the page.

Response's four severities map onto PagerDuty's Events API v2 ``payload.severity`` values, and an
incident with no severity yet pages as ``info``. Pinned through what reaches (a fake) PagerDuty
when someone clicks a team's Page button, not through the mapping table itself.
"""

from __future__ import annotations

import copy

import pytest

from core.models import Severity
from slack.workflows.models import EscalationTeam
from slack.workflows.pagerduty import blocks as pagerduty_blocks
from tests.helpers import load_fixture, post_interaction
from tests.slack.channel_helpers import COMMS, incident_with_channel

# Response severity -> PagerDuty severity (critical, error, warning or info).
EXPECTED = [
    (Severity.CRITICAL, "critical"),
    (Severity.MAJOR, "error"),
    (Severity.MINOR, "warning"),
    (Severity.TRIVIAL, "info"),
    (None, "info"),
]


@pytest.fixture
def team(transactional_db):
    return EscalationTeam.objects.create(
        name="Payments", summary="Cards", routing_key="R0UTINGKEYPAYMENTS00000000000000"
    )


def click_page(client, incident, team) -> None:
    payload = copy.deepcopy(load_fixture("declare_headline_click"))
    payload["user"]["id"] = "U0ALICE"
    payload["channel"]["id"] = payload["container"]["channel_id"] = COMMS
    payload["actions"][0].update(
        action_id=pagerduty_blocks.PAGE_TEAM, value=f"{incident.pk}:{team.pk}"
    )
    assert post_interaction(client, payload).status_code == 200


def test_the_table_covers_every_severity_and_none():
    assert [severity for severity, _ in EXPECTED] == [*Severity, None]


@pytest.mark.parametrize(
    ("severity", "pagerduty_severity"),
    EXPECTED,
    ids=[severity.label if severity else "none" for severity, _ in EXPECTED],
)
def test_a_page_carries_the_pagerduty_severity(
    client, fake_slack, jobs, team, pagerduty, severity, pagerduty_severity
):
    incident = incident_with_channel(severity=severity)

    click_page(client, incident, team)
    jobs()

    (event,) = pagerduty.events
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == pagerduty_severity
