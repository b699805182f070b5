"""The incident document's lifecycle parts (SPEC §14): status, roles, milestones and numbers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from core import services
from tests.ui import builders

pytestmark = pytest.mark.django_db


def page(client, incident):
    response = client.get(f"/incident/{incident.pk}/")
    assert response.status_code == 200
    return response


def section(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</(dl|p)>', html, re.DOTALL)
    assert found, testid
    return found[0]


@pytest.fixture
def worked(alice, bob):
    """An incident a team worked through: started an hour before it was declared, detected,
    acknowledged, mitigated and resolved, with a lead and a scribe."""
    declared = timezone.now() - dt.timedelta(hours=3)
    incident = builders.incident("Cards fail", reporter=alice, lead=bob, report_time=declared)
    services.milestone_set(
        incident=incident, kind="started", time=declared - dt.timedelta(hours=1), actor=alice
    )
    services.milestone_set(
        incident=incident, kind="detected", time=declared - dt.timedelta(minutes=20), actor=bob
    )
    services.role_assign(incident=incident, role="scribe", holder=alice, actor=bob)
    services.incident_status_set(incident=incident, status="monitoring", actor=bob)
    services.incident_status_set(incident=incident, status="resolved", actor=bob)
    return incident


def test_the_document_shows_roles_with_their_duty(logged_in, worked):
    response = page(logged_in, worked)
    doc = response.context["doc"]
    assert [(r.label, r.holder) for r in doc.roles] == [
        ("Incident lead", "bob"),
        ("Scribe", "alice"),
    ]
    assert doc.unheld_roles == ["Communications lead"]
    html = response.content.decode()
    roles = re.findall(
        r'<div data-testid="role"><dt title="([^"]+)">([^<]+)</dt><dd>([^<]+)</dd>', html
    )
    assert [(label, holder) for _, label, holder in roles] == [
        ("Incident lead", "bob"),
        ("Scribe", "alice"),
    ]
    assert all(duty for duty, _, _ in roles), "each role's duty is on hover"
    assert "Nobody holds: Communications lead." in html


def test_the_document_shows_every_milestone_with_who_set_it(logged_in, worked):
    logged_in.cookies["tz"] = "America/New_York"
    response = page(logged_in, worked)
    rows = {m.kind: m for m in response.context["doc"].milestones}
    assert list(rows) == [
        "started",
        "detected",
        "declared",
        "acknowledged",
        "mitigated",
        "resolved",
    ]
    assert all(m.time for m in rows.values())
    assert (rows["started"].set_by, rows["detected"].set_by, rows["mitigated"].set_by) == (
        "alice",
        "bob",
        "bob",
    )
    milestones = section(response.content.decode(), "milestones")
    assert len(re.findall(r"<time [^>]*>[^<]+ E[SD]T</time>", milestones)) == 6, "viewer's zone"
    assert "by alice" in milestones


def test_unset_milestones_say_so(logged_in, alice):
    incident = builders.incident("Fresh", reporter=alice)
    response = page(logged_in, incident)
    rows = {m.kind: m for m in response.context["doc"].milestones}
    assert {kind for kind, m in rows.items() if m.time is None} == {
        "detected",
        "acknowledged",
        "mitigated",
        "resolved",
    }
    milestones = section(response.content.decode(), "milestones")
    assert milestones.count("not set") == 4


def test_the_document_shows_the_four_numbers(logged_in, worked):
    response = page(logged_in, worked)
    numbers = {n.label: n for n in response.context["doc"].numbers}
    assert numbers["Time to detect"].value == "40 mins"
    assert numbers["Time to mitigate"].value == numbers["Time to resolve"].value
    assert numbers["Time to resolve"].value.startswith("4 hrs")
    assert numbers["Time to acknowledge"].value.startswith("3 hrs")
    definition = "Time to detect = detected \N{MINUS SIGN} started"
    assert numbers["Time to detect"].definition == definition
    assert response.context["doc"].not_counted == ""
    html = response.content.decode()
    assert f'title="{definition}">= detected \N{MINUS SIGN} started<' in html
    assert 'data-testid="not-counted"' not in html


def test_a_number_without_its_milestones_says_which_is_missing(logged_in, alice):
    incident = builders.incident("Fresh", reporter=alice)
    numbers = {n.label: n for n in page(logged_in, incident).context["doc"].numbers}
    assert (numbers["Time to detect"].value, numbers["Time to detect"].missing) == (
        "—",
        "detected not set",
    )
    assert numbers["Time to resolve"].missing == "resolved not set"
    html = page(logged_in, incident).content.decode()
    assert "(acknowledged not set)" in html


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("drill", "it is a drill"),
        ("declined", "it was declined (not an incident)"),
        ("merged", "it was merged into another incident"),
    ],
)
def test_drills_declined_and_merged_say_they_are_not_counted(logged_in, alice, how, reason):
    target = builders.incident("The one we track", reporter=alice)
    incident = builders.incident(
        "Not counted", reporter=alice, drill=how == "drill", triage=how == "declined"
    )
    if how != "drill":
        services.incident_status_set(
            incident=incident, status=how, merged_into=target if how == "merged" else None
        )
    html = page(logged_in, incident).content.decode()
    assert f"Not counted in the insights: {reason}." in html
    assert ("🧪 Drill" in html) == (how == "drill")


def test_a_merged_incident_links_to_its_target(logged_in, alice):
    target = builders.incident("The <@U0ALICE> one we track", reporter=alice)
    duplicate = builders.incident("Same thing", reporter=alice)
    services.incident_status_set(incident=duplicate, status="merged", merged_into=target)
    html = page(logged_in, duplicate).content.decode()
    assert "🔗 Merged" in html
    assert (
        f'🔗 Merged into <a href="/incident/{target.pk}/">incident #{target.pk}: '
        "The @alice one we track</a>"
    ) in html


def test_the_status_is_shown_with_its_meaning(logged_in, alice):
    incident = builders.incident("Unsure", reporter=alice, triage=True)
    html = page(logged_in, incident).content.decode()
    assert "🔍 Triage" in html
    assert "Not sure yet whether it is an incident" in html


def test_a_reopen_reason_is_on_the_timeline(logged_in, alice):
    incident = builders.incident("Back again", reporter=alice, closed=True)
    services.incident_status_set(
        incident=incident, status="investigating", reason="errors are back", actor=alice
    )
    response = page(logged_in, incident)
    texts = [entry.text for entry in response.context["doc"].timeline]
    assert "<p>Reopened (investigating): errors are back</p>" in texts
    assert "🔥 Investigating" in response.content.decode()
