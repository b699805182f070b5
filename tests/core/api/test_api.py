"""The REST API under /core/: reads, filters, pagination, and writes through core.services."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import signals
from core.models import (
    Action,
    Incident,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)
from tests.ui import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    return builders.login_user("script")


@pytest.fixture
def api(client, login):
    client.force_login(login)
    return client


@pytest.fixture
def updates():
    """``incident_updated`` signals sent during the test."""
    sent: list[dict] = []

    def receive(sender, **kwargs):
        sent.append(kwargs)

    signals.incident_updated.connect(receive)
    yield sent
    signals.incident_updated.disconnect(receive)


def patch(client, path, data):
    return client.patch(path, data=data, content_type="application/json")


def post(client, path, data=None):
    return client.post(path, data=data or {}, content_type="application/json")


# --- Authentication ------------------------------------------------------------------------------


def test_basic_auth_for_scripts(login):
    token = base64.b64encode(f"script:{builders.PASSWORD}".encode()).decode()
    response = Client().get("/core/incidents/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200


def test_session_writes_need_the_csrf_token(login, alice):
    incident = builders.incident("x", reporter=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(login)
    response = patch(client, f"/core/incidents/{incident.pk}/", {"title": "y"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- Incidents: reading --------------------------------------------------------------------------


def test_incident_fields(api, alice, bob):
    incident = builders.incident(
        "Payments down", reporter=alice, lead=bob, severity=Severity.CRITICAL, summary="s"
    )
    body = api.get(f"/core/incidents/{incident.pk}/").json()
    assert body["title"] == "Payments down"
    assert body["severity"] == "critical"
    assert body["status"] == "investigating"
    assert (body["drill"], body["merged_into"], body["report_only"]) == (False, None, False)
    assert body["reporter"]["external_id"] == "U0ALICE"
    assert body["lead"]["name"] == "bob"
    assert [(r["role"], r["label"], r["holder"]["external_id"]) for r in body["roles"]] == [
        ("lead", "Incident lead", "U0BOB")
    ]
    assert set(body["milestones"]) == {
        "started",
        "detected",
        "declared",
        "acknowledged",
        "mitigated",
        "resolved",
    }
    assert body["milestones"]["declared"] == body["report_time"]
    assert body["milestones"]["started"] == body["start_time"]
    assert body["milestones"]["detected"] is None
    assert body["end_time"] is None
    assert body["document_url"] == f"http://testserver/incident/{incident.pk}/"
    assert "lead_external_id" not in body


def test_incident_list_is_newest_first_and_paginated(api, alice):
    builders.many_incidents(30, reporter=alice, lead=alice)
    page = api.get("/core/incidents/?limit=10&offset=10").json()
    assert page["count"] == 30
    assert len(page["results"]) == 10
    assert "offset=20" in page["next"]
    times = [r["report_time"] for r in api.get("/core/incidents/").json()["results"]]
    assert times == sorted(times, reverse=True)


def test_limit_is_capped(api, alice):
    builders.many_incidents(3, reporter=alice, lead=alice)
    assert len(api.get("/core/incidents/?limit=100000").json()["results"]) == 3


@pytest.fixture
def mixed(alice, bob):
    now = timezone.now()
    live = builders.incident("live db", reporter=alice, lead=bob, severity=Severity.CRITICAL)
    resolved = builders.incident(
        "resolved api",
        reporter=bob,
        lead=alice,
        severity=Severity.MINOR,
        closed=True,
        report_time=now - dt.timedelta(days=10),
    )
    reported = builders.incident(
        "reported cache", reporter=alice, report_only=True, report_time=now - dt.timedelta(days=40)
    )
    triage = builders.incident(
        "triage queue", reporter=bob, triage=True, report_time=now - dt.timedelta(days=50)
    )
    return live, resolved, reported, triage


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=investigating", ["live db"]),
        ("status=triage", ["triage queue"]),
        ("status=resolved", ["resolved api"]),
        ("status=reported", ["reported cache"]),
        ("severity=critical", ["live db"]),
        ("severity=none", ["reported cache", "triage queue"]),
        ("lead=U0ALICE", ["resolved api"]),
        ("reporter=U0ALICE", ["live db", "reported cache"]),
        ("title=API", ["resolved api"]),
        ("status=investigating&severity=minor", []),
        ("status=fixing", []),
        ("status=open", ["live db", "triage queue"]),
        ("status=open&reporter=U0ALICE", ["live db"]),
    ],
)
def test_incident_filters(api, mixed, query, expected):
    response = api.get(f"/core/incidents/?{query}")
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == expected


def test_incident_report_time_range(api, mixed):
    now = timezone.now()
    after = (now - dt.timedelta(days=20)).isoformat()
    before = (now - dt.timedelta(days=5)).isoformat()
    response = api.get(
        "/core/incidents/", {"report_time_after": after, "report_time_before": before}
    )
    assert [r["title"] for r in response.json()["results"]] == ["resolved api"]


@pytest.mark.parametrize(
    "query",
    [
        "status=live",
        "status=bogus",
        "severity=5",
        "report_time_after=yesterday",
        "report_time_after=0001-01-01T00:00:00%2B23:00",  # before year 1 in UTC
    ],
)
def test_bad_filters_are_400(api, query):
    assert api.get(f"/core/incidents/?{query}").status_code == 400


@pytest.mark.parametrize("name", ["lead", "reporter", "title"])
def test_nul_in_a_filter_is_400_not_500(api, name):
    assert api.get(f"/core/incidents/?{name}=U%00").status_code == 400


def test_time_filters_accept_any_offset_python_does(api, mixed):
    # PostgreSQL refuses offsets beyond ±15:59; the filter converts to UTC first.
    response = api.get("/core/incidents/?report_time_after=0500-07-31T18:55:51-22:40")
    assert response.status_code == 200
    assert response.json()["count"] == 4


# --- Incidents: writing --------------------------------------------------------------------------


def test_changing_an_incident_goes_through_the_service(api, alice, bob, login, updates):
    alice.owner = login
    alice.save()
    incident = builders.incident("Payments down", reporter=alice)

    response = patch(
        api,
        f"/core/incidents/{incident.pk}/",
        {"title": " Card payments down ", "severity": "major", "lead_external_id": "U0BOB"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["title"], body["severity"], body["lead"]["external_id"]) == (
        "Card payments down",
        "major",
        "U0BOB",
    )
    incident.refresh_from_db()
    assert (incident.title, incident.severity, incident.lead) == (
        "Card payments down",
        Severity.MAJOR,
        bob,
    )
    changes = TimelineEvent.objects.filter(kind=TimelineEventKind.INCIDENT_CHANGE)
    # A person naming the lead acknowledges the incident: that milestone lands there too.
    assert {e.metadata["field"] for e in changes} == {"title", "severity", "lead", "milestone"}
    assert {e.author for e in changes} == {alice}, "changes are recorded as the linked user's"
    assert body["milestones"]["acknowledged"] is not None
    assert {name for update in updates for name in update["changes"]} == {
        "title",
        "severity",
        "role:lead",
    }


def test_clearing_lead_and_severity(api, alice):
    incident = builders.incident("x", reporter=alice, lead=alice, severity=Severity.MINOR)
    response = patch(
        api, f"/core/incidents/{incident.pk}/", {"lead_external_id": None, "severity": None}
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.lead, incident.severity) == (None, None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"severity": 1}, "severity"),
        ({"lead_external_id": "U0NOBODY"}, "lead_external_id"),
        ({"lead_external_id": "U0\x00"}, "lead_external_id"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"start_time": "not a time"}, "start_time"),
    ],
)
def test_invalid_changes_are_400(api, alice, data, field):
    incident = builders.incident("x", reporter=alice)
    response = patch(api, f"/core/incidents/{incident.pk}/", data)
    assert response.status_code == 400
    assert field in response.json()


def test_a_start_after_the_declaration_is_refused_naming_both(api, alice):
    declared = timezone.now() - dt.timedelta(hours=2)
    incident = builders.incident("x", reporter=alice, report_time=declared)
    later = (declared + dt.timedelta(hours=1)).isoformat()
    response = patch(api, f"/core/incidents/{incident.pk}/", {"start_time": later})
    assert response.status_code == 400
    assert "started" in response.json()["detail"]
    assert "declared" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.start_time == declared


def test_read_only_fields_are_ignored(api, alice):
    incident = builders.incident("x", reporter=alice)
    response = patch(
        api,
        f"/core/incidents/{incident.pk}/",
        {"end_time": timezone.now().isoformat(), "id": 999, "status": "resolved"},
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.end_time is None


def test_incidents_are_neither_created_nor_deleted_nor_replaced(api, alice):
    incident = builders.incident("x", reporter=alice)
    assert post(api, "/core/incidents/", {"title": "new"}).status_code == 405
    assert api.delete(f"/core/incidents/{incident.pk}/").status_code == 405
    put = api.put(
        f"/core/incidents/{incident.pk}/", data={"title": "y"}, content_type="application/json"
    )
    assert put.status_code == 405
    assert Incident.objects.count() == 1


def test_closing_an_incident(api, alice):
    incident = builders.incident("x", reporter=alice)
    response = post(api, f"/core/incidents/{incident.pk}/close/")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["end_time"] is not None

    again = post(api, f"/core/incidents/{incident.pk}/close/")
    assert again.status_code == 409
    assert "already closed" in again.json()["detail"]


# --- Actions -------------------------------------------------------------------------------------


def test_logging_and_changing_an_action(api, alice, bob):
    incident = builders.incident("x", reporter=alice)
    due = (timezone.now() + dt.timedelta(days=7)).replace(microsecond=0)

    created = post(
        api,
        "/core/actions/",
        {
            "incident": incident.pk,
            "details": " Add an alert ",
            "owner_external_id": "U0ALICE",
            "priority": "high",
            "due_at": due.isoformat(),
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["details"], body["owner"]["name"], body["priority"]) == (
        "Add an alert",
        "alice",
        "high",
    )
    assert body["done"] is False
    assert body["done_at"] is None

    action_id = body["id"]
    done = patch(api, f"/core/actions/{action_id}/", {"done": True, "owner_external_id": "U0BOB"})
    assert done.status_code == 200, done.json()
    assert done.json()["done"] is True
    assert done.json()["done_at"] is not None
    assert done.json()["owner"]["name"] == "bob"

    reopened = patch(api, f"/core/actions/{action_id}/", {"done": False})
    assert reopened.json()["done_at"] is None


def test_an_action_stays_with_its_incident(api, alice):
    first = builders.incident("first", reporter=alice)
    second = builders.incident("second", reporter=alice)
    action = Action.objects.create(incident=first, details="x")
    response = patch(api, f"/core/actions/{action.pk}/", {"incident": second.pk})
    assert response.status_code == 200
    action.refresh_from_db()
    assert action.incident == first


@pytest.mark.parametrize(
    "data",
    [
        {"details": "x"},
        {"incident": 999999, "details": "x"},
        {"incident": "{i}", "details": "   "},
        {"incident": "{i}", "details": "x", "priority": "urgent"},
        {"incident": "{i}", "details": "x", "owner_external_id": "U0NOBODY"},
        {"incident": "{i}", "details": "x", "owner_external_id": "\x00"},
    ],
)
def test_invalid_actions_are_400(api, alice, data):
    incident = builders.incident("x", reporter=alice)
    data = {k: incident.pk if v == "{i}" else v for k, v in data.items()}
    assert post(api, "/core/actions/", data).status_code == 400
    assert Action.objects.count() == 0


def test_action_filters(api, alice, bob):
    one = builders.incident("one", reporter=alice)
    two = builders.incident("two", reporter=alice)
    Action.objects.create(incident=one, details="a", owner=alice)
    Action.objects.create(incident=one, details="b", status="done")
    Action.objects.create(incident=two, details="c", owner=bob)

    def details(query):
        return [r["details"] for r in api.get(f"/core/actions/?{query}").json()["results"]]

    assert details(f"incident={one.pk}") == ["a", "b"]
    assert details("done=true") == ["b"]
    assert details(f"done=false&incident={one.pk}") == ["a"]
    assert details("owner=U0BOB") == ["c"]


# --- Timeline ------------------------------------------------------------------------------------


def test_adding_and_editing_a_note(api, alice, login):
    alice.owner = login
    alice.save()
    incident = builders.incident("x", reporter=alice)

    created = post(api, "/core/timeline/", {"incident": incident.pk, "text": "Rolled back"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["kind"], body["text"], body["author"]["external_id"]) == (
        "note",
        "Rolled back",
        "U0ALICE",
    )

    earlier = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    edited = patch(
        api,
        f"/core/timeline/{body['id']}/",
        {"text": "Rolled back v2", "time": earlier.isoformat()},
    )
    assert edited.status_code == 200, edited.json()
    entry = TimelineEvent.objects.get(pk=body["id"])
    assert (entry.text, entry.time) == ("Rolled back v2", earlier)


def test_only_notes_can_be_edited(api, alice):
    incident = builders.incident("x", reporter=alice)
    pin = incident.timeline_events.create(kind=TimelineEventKind.PINNED_MESSAGE, text="pinned")
    response = patch(api, f"/core/timeline/{pin.pk}/", {"text": "rewritten history"})
    assert response.status_code == 400
    assert "Only notes" in response.json()["detail"]
    pin.refresh_from_db()
    assert pin.text == "pinned"


def test_timeline_is_in_time_order_and_filtered(api, alice):
    incident = builders.incident("x", reporter=alice)
    other = builders.incident("y", reporter=alice)
    now = timezone.now()
    for minutes, text in [(3, "late"), (1, "early"), (2, "middle")]:
        incident.timeline_events.create(
            kind=TimelineEventKind.NOTE, text=text, time=now + dt.timedelta(minutes=minutes)
        )
    other.timeline_events.create(kind=TimelineEventKind.PINNED_MESSAGE, text="elsewhere")

    body = api.get(f"/core/timeline/?incident={incident.pk}").json()
    assert [r["text"] for r in body["results"]] == ["early", "middle", "late"]
    pins = api.get("/core/timeline/?kind=pinned_message").json()
    assert [r["text"] for r in pins["results"]] == ["elsewhere"]


def test_timeline_entries_cannot_be_deleted(api, alice):
    incident = builders.incident("x", reporter=alice)
    note = incident.timeline_events.create(kind=TimelineEventKind.NOTE, text="keep")
    assert api.delete(f"/core/timeline/{note.pk}/").status_code == 405


# --- Users ---------------------------------------------------------------------------------------


def test_users_by_slack_id(api, alice, bob):
    body = api.get("/core/users/").json()
    assert [u["external_id"] for u in body["results"]] == ["U0ALICE", "U0BOB"]
    assert api.get("/core/users/U0BOB/").json()["name"] == "bob"
    assert api.get("/core/users/U0NOBODY/").status_code == 404
    assert api.get("/core/users/U0%00/").status_code == 404
    assert post(api, "/core/users/", {"external_id": "U0NEW"}).status_code == 405


# --- Cost ----------------------------------------------------------------------------------------


def _count(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "path", ["/core/incidents/", "/core/actions/", "/core/timeline/", "/core/users/"]
)
def test_lists_cost_the_same_whatever_their_size(api, path):
    users = [builders.slack_user(f"U{n:04d}", f"user{n}") for n in range(5)]

    def grow(n):
        for incident in builders.many_incidents(n, reporter=users[0], lead=users[1]):
            builders.fill_incident(incident, entries=2, users=users, channel_id=f"C{incident.pk}")

    grow(2)
    few = _count(api, path)
    grow(60)
    many = _count(api, path)
    assert many == few


def test_action_status_through_the_api_with_done_still_understood(db):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from core import services as svc

    user = get_user_model().objects.create_user(username="api-status")
    client = APIClient()
    client.force_authenticate(user)
    fire = svc.incident_declare(title="Status", reporter=None)
    action = svc.action_log(incident=fire, details="Add an alert")
    url = f"/core/actions/{action.pk}/"
    body = client.patch(url, {"status": "wont_do"}, format="json").json()
    assert (body["status"], body["done"], body["done_at"]) == ("wont_do", False, None)
    body = client.patch(url, {"done": True}, format="json").json()
    assert body["status"] == "done" and body["done_at"]
    body = client.patch(url, {"done": False}, format="json").json()
    assert body["status"] == "open"
    listed = client.get(f"/core/actions/?status=open&incident={fire.pk}").json()
    assert [row["id"] for row in listed["results"]] == [action.pk]
