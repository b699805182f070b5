"""The lifecycle through the REST API (SPEC §14): status moves, roles, milestones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core import services
from core.models import Incident, TimelineEvent, TimelineEventKind
from tests.ui import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    return builders.login_user("script")


@pytest.fixture
def alice(login):
    """The Slack user linked to the logged-in account: changes are hers."""
    user = builders.slack_user("U0ALICE", "alice")
    user.owner = login
    user.save()
    return user


@pytest.fixture
def bob():
    return builders.slack_user("U0BOB", "bob")


@pytest.fixture
def api(client, login):
    client.force_login(login)
    return client


def post(client, path, data=None):
    return client.post(path, data=data or {}, content_type="application/json")


def put(client, path, data):
    return client.put(path, data=data, content_type="application/json")


def changes(incident: Incident) -> list[str]:
    return list(
        TimelineEvent.objects.filter(incident=incident, kind=TimelineEventKind.INCIDENT_CHANGE)
        .order_by("time", "id")
        .values_list("text", flat=True)
    )


# --- Status --------------------------------------------------------------------------------------


def test_an_incident_goes_through_its_life(api, alice):
    incident = builders.incident("Payments down", reporter=alice)
    path = f"/core/incidents/{incident.pk}/status/"

    fixing = post(api, path, {"status": "fixing"})
    assert fixing.status_code == 200, fixing.json()
    assert fixing.json()["status"] == "fixing"
    assert fixing.json()["milestones"]["acknowledged"] is not None, "a person moved it"

    monitoring = post(api, path, {"status": "monitoring"}).json()
    assert monitoring["milestones"]["mitigated"] is not None

    resolved = post(api, path, {"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    assert resolved["end_time"] is not None
    assert resolved["milestones"]["resolved"] == resolved["end_time"]

    reopened = post(api, path, {"status": "investigating", "reason": "errors are back"})
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["end_time"] is None
    assert reopened.json()["milestones"]["resolved"] is None
    assert "Reopened (investigating): errors are back" in changes(incident)
    assert set(
        TimelineEvent.objects.filter(metadata__field="status").values_list("author", flat=True)
    ) == {alice.pk}


def test_a_refused_move_is_409_naming_the_allowed_moves(api, alice):
    incident = builders.incident("Payments down", reporter=alice, triage=True)
    response = post(api, f"/core/incidents/{incident.pk}/status/", {"status": "resolved"})
    assert response.status_code == 409
    body = response.json()
    assert body["allowed"] == ["investigating", "declined", "merged"]
    assert "triage" in body["detail"]
    assert "investigating" in body["detail"]
    incident.refresh_from_db()
    assert incident.status == "triage"
    assert changes(incident) == []


def test_a_reopen_without_a_reason_is_refused(api, alice):
    incident = builders.incident("x", reporter=alice, closed=True)
    response = post(api, f"/core/incidents/{incident.pk}/status/", {"status": "investigating"})
    assert response.status_code == 409
    assert "reason" in response.json()["detail"]
    assert response.json()["allowed"] == ["investigating"]


def test_merging_names_the_target(api, alice):
    target = builders.incident("the real one", reporter=alice)
    duplicate = builders.incident("the same thing", reporter=alice, triage=True)
    path = f"/core/incidents/{duplicate.pk}/status/"

    unnamed = post(api, path, {"status": "merged"})
    assert unnamed.status_code == 409
    assert "which incident" in unnamed.json()["detail"]

    merged = post(api, path, {"status": "merged", "merged_into": target.pk})
    assert merged.status_code == 200, merged.json()
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("merged", target.pk)
    assert changes(target) == [f"Incident {duplicate.pk} (the same thing) was merged into this one"]


@pytest.mark.parametrize(
    "data",
    [{}, {"status": "live"}, {"status": "merged", "merged_into": 999999}, {"status": None}],
)
def test_an_unreadable_status_change_is_400(api, alice, data):
    incident = builders.incident("x", reporter=alice)
    response = post(api, f"/core/incidents/{incident.pk}/status/", data)
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.status == "investigating"


def test_status_is_read_only_on_the_incident_itself(api, alice):
    incident = builders.incident("x", reporter=alice)
    response = api.patch(
        f"/core/incidents/{incident.pk}/",
        data={"status": "resolved", "report_only": True, "drill": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.report_only, incident.drill) == (
        "investigating",
        False,
        False,
    )


# --- Roles ---------------------------------------------------------------------------------------


def test_the_configured_roles_are_listed(api):
    body = api.get("/core/roles/").json()["results"]
    assert [(r["name"], r["label"]) for r in body] == [
        ("lead", "Incident lead"),
        ("comms", "Communications lead"),
        ("scribe", "Scribe"),
    ]
    assert all(r["duty"] for r in body)
    assert api.get("/core/roles/comms/").json()["label"] == "Communications lead"


def test_giving_and_taking_a_role(api, alice, bob):
    incident = builders.incident("x", reporter=alice, lead=alice)
    path = f"/core/incidents/{incident.pk}/roles/comms/"

    given = put(api, path, {"holder_external_id": "U0BOB"})
    assert given.status_code == 200, given.json()
    assert [(r["role"], r["holder"]["name"]) for r in given.json()["roles"]] == [
        ("lead", "alice"),
        ("comms", "bob"),
    ]
    assert changes(incident)[-1] == "Communications lead changed from (none) to @bob"

    taken = put(api, path, {"holder_external_id": None})
    assert [r["role"] for r in taken.json()["roles"]] == ["lead"]

    lead = put(api, f"/core/incidents/{incident.pk}/roles/lead/", {"holder_external_id": "U0BOB"})
    assert lead.json()["lead"]["external_id"] == "U0BOB", "the lead is the lead role's holder"


def test_an_unknown_role_is_404_naming_the_roles(api, alice):
    incident = builders.incident("x", reporter=alice)
    response = put(
        api, f"/core/incidents/{incident.pk}/roles/captain/", {"holder_external_id": "U0ALICE"}
    )
    assert response.status_code == 404
    assert "captain" in response.json()["detail"]
    assert "lead" in response.json()["detail"]
    assert changes(incident) == []


@pytest.mark.parametrize("holder", ["U0NOBODY", "U0\x00", 42])
def test_an_unknown_holder_is_400(api, alice, holder):
    incident = builders.incident("x", reporter=alice)
    response = put(
        api, f"/core/incidents/{incident.pk}/roles/lead/", {"holder_external_id": holder}
    )
    assert response.status_code == 400
    assert "holder_external_id" in response.json()
    assert incident.role_assignments.count() == 0


def test_a_role_change_needs_the_holder_said(api, alice):
    incident = builders.incident("x", reporter=alice, lead=alice)
    response = put(api, f"/core/incidents/{incident.pk}/roles/lead/", {})
    assert response.status_code == 400
    assert incident.role_assignments.get().holder == alice


# --- Milestones ----------------------------------------------------------------------------------


def test_setting_and_backdating_a_milestone(api, alice):
    declared = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    incident = builders.incident("x", reporter=alice, report_time=declared)
    started = declared - dt.timedelta(minutes=30)
    detected = declared - dt.timedelta(minutes=10)

    moved = put(
        api, f"/core/incidents/{incident.pk}/milestones/started/", {"time": started.isoformat()}
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["start_time"] == moved.json()["milestones"]["started"]

    response = put(
        api, f"/core/incidents/{incident.pk}/milestones/detected/", {"time": detected.isoformat()}
    )
    assert response.status_code == 200, response.json()
    got = response.json()["milestones"]["detected"]
    assert dt.datetime.fromisoformat(got) == detected
    assert changes(incident)[-1] == f"Detected set to {detected:%Y-%m-%d %H:%M} UTC"


def test_a_milestone_out_of_order_is_refused_naming_both(api, alice):
    declared = timezone.now() - dt.timedelta(hours=2)
    incident = builders.incident("x", reporter=alice, report_time=declared)
    after = (declared + dt.timedelta(minutes=5)).isoformat()
    response = put(api, f"/core/incidents/{incident.pk}/milestones/detected/", {"time": after})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "detected" in detail
    assert "declared" in detail
    assert not incident.milestones.filter(kind="detected").exists()


def test_a_milestone_in_the_future_is_refused(api, alice):
    incident = builders.incident("x", reporter=alice)
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = put(api, f"/core/incidents/{incident.pk}/milestones/mitigated/", {"time": later})
    assert response.status_code == 400
    assert "future" in response.json()["detail"]
    assert not incident.milestones.filter(kind="mitigated").exists()


def test_an_unknown_milestone_is_404_naming_the_milestones(api, alice):
    incident = builders.incident("x", reporter=alice)
    now = timezone.now().isoformat()
    response = put(api, f"/core/incidents/{incident.pk}/milestones/noticed/", {"time": now})
    assert response.status_code == 404
    assert "started, detected, declared" in response.json()["detail"]


@pytest.mark.parametrize("data", [{}, {"time": "yesterday"}, {"time": None}])
def test_an_unreadable_milestone_time_is_400(api, alice, data):
    incident = builders.incident("x", reporter=alice)
    response = put(api, f"/core/incidents/{incident.pk}/milestones/detected/", data)
    assert response.status_code == 400
    assert "time" in response.json()


def test_the_lead_filter_reads_the_lead_role_only(api, alice, bob):
    led = builders.incident("led by bob", reporter=alice, lead=bob)
    helped = builders.incident("bob on comms", reporter=alice, lead=alice)
    services.role_assign(incident=helped, role="comms", holder=bob)
    body = api.get("/core/incidents/?lead=U0BOB").json()
    assert [r["id"] for r in body["results"]] == [led.pk]


def test_closing_from_triage_is_refused_naming_the_moves(api, alice):
    incident = builders.incident("x", reporter=alice, triage=True)
    response = post(api, f"/core/incidents/{incident.pk}/close/")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["investigating", "declined", "merged"]
