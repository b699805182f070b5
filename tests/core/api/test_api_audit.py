"""GET /core/audit/: the audit log, read-only, newest first, filtered (SPEC §18); and a change
made through the API is recorded as the API's, under the person who authenticated."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from core import selectors, services
from core.access import Acting, Via, acting_as
from core.models import AuditEntry, Incident, Severity

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def script() -> Client:
    """A client authenticating as scripts do: HTTP Basic, no session."""
    get_user_model().objects.create_user(username="script", password=PASSWORD)
    token = base64.b64encode(f"script:{PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


@pytest.fixture
def alice():
    return services.external_user_upsert(external_id="U0ALICE", display_name="alice")


@pytest.fixture
def fire(alice):
    with acting_as(Acting.for_slack_user(alice)):
        return services.incident_declare(title="Payments are failing", reporter=alice)


def test_a_change_through_the_api_is_recorded_as_the_scripts(script, fire):
    response = script.patch(
        f"/core/incidents/{fire.pk}/", {"severity": "critical"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content

    entry = AuditEntry.objects.filter(incident_id=fire.pk, action="changed").get()
    assert (entry.via, entry.person_name, entry.slack_user_id) == ("api", "script", "")
    assert (entry.before, entry.after) == ({"severity": None}, {"severity": Severity.CRITICAL})
    assert entry.request_id  # the request's id, as its log lines carry it


def test_a_refused_change_through_the_api_records_nothing(script, fire):
    before = AuditEntry.objects.count()
    response = script.post(
        f"/core/incidents/{fire.pk}/status/", {"status": "merged"}, content_type="application/json"
    )
    assert response.status_code in (400, 409)

    assert AuditEntry.objects.count() == before


def test_the_log_lists_newest_first_with_who_and_what(script, fire, alice):
    with acting_as(Acting.for_slack_user(alice)):
        services.incident_update(incident=fire, summary="Card payments time out")

    rows = script.get("/core/audit/", {"incident": fire.pk}).json()["results"]

    assert [(row["action"], row["object_type"]) for row in rows] == [
        ("changed", "core.Incident"),
        ("created", "core.Incident"),
    ]
    newest = rows[0]
    assert newest["who"] == "alice" and newest["via"] == "slack"
    assert newest["incident"] == fire.pk
    assert (newest["before"], newest["after"]) == (
        {"summary": ""},
        {"summary": "Card payments time out"},
    )


def test_the_log_filters_by_incident_time_and_surface(script, fire, alice):
    other = services.incident_declare(title="Login is slow", reporter=alice)
    later = timezone.now()
    with acting_as(Acting(via=Via.ADMIN)):
        services.incident_update(incident=fire, summary="Card payments time out")

    def ids(**query) -> list[int]:
        rows = script.get("/core/audit/", query).json()["results"]
        # Leave out the script's own login, created by the fixture.
        return [row["id"] for row in rows if row["object_type"] != "auth.User"]

    everything = ids()
    assert len(everything) == 3
    assert ids(incident=other.pk) == [AuditEntry.objects.get(incident_id=other.pk).pk]
    assert ids(via="admin") == ids(since=later.isoformat()) == [everything[0]]
    assert ids(since=(later + dt.timedelta(minutes=1)).isoformat()) == []
    assert script.get("/core/audit/", {"via": "carrier-pigeon"}).status_code == 400


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_log_cannot_be_written_through_the_api(script, fire, method):
    entry = AuditEntry.objects.get(incident_id=fire.pk)
    for path in ("/core/audit/", f"/core/audit/{entry.pk}/"):
        response = getattr(script, method)(path, {}, content_type="application/json")
        assert response.status_code == 405, (method, path)
    assert AuditEntry.objects.get(incident_id=fire.pk) == entry


def test_entries_of_incidents_the_caller_may_not_see_are_left_out(script, fire, alice, monkeypatch):
    hidden = services.incident_declare(title="A private matter", reporter=alice)

    def without_hidden(queryset=None, acting=None):
        return Incident.objects.exclude(pk=hidden.pk)

    monkeypatch.setattr(selectors, "visible_incidents", without_hidden)
    rows = script.get("/core/audit/").json()["results"]

    # The script's login belongs to no incident: it stays.
    assert {row["incident"] for row in rows} == {fire.pk, None}
    unseen = AuditEntry.objects.get(incident_id=hidden.pk)
    assert script.get(f"/core/audit/{unseen.pk}/").status_code == 404
