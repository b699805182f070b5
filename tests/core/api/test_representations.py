"""The API writes incidents, the roles they hold and people field by field by hand (fast); DRF's
generic walk over the declared fields is the reference: the same JSON for every kind of
incident, on a first page, a deep page and a single incident, in any site time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework import serializers as drf

from core import services
from core.api import serializers
from core.models import IncidentStatus, MilestoneKind, Severity
from tests.ui import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.force_login(builders.login_user("script"))
    return client


@pytest.fixture
def incidents():
    """Incidents of every status and severity with roles and milestones (some at whole
    seconds), one of nobody's with nothing set, a merged one, and people with a name or an
    e-mail missing, or deleted."""
    reporter = builders.slack_user("U0REPORTER", "reporter")
    lead = services.external_user_upsert(
        external_id="U0LEAD", full_name="Lead Person", email="lead@example.com"
    )
    gone = services.external_user_upsert(external_id="U0GONE", deleted=True)
    made = builders.many_incidents(12, reporter=reporter, lead=lead)
    bare = builders.incident("Nobody's", severity=None)
    target = builders.incident("Where it went", reporter=gone, severity=Severity.CRITICAL)
    merged = builders.incident("Merged away", reporter=reporter, lead=lead)
    services.incident_status_set(incident=merged, status=IncidentStatus.MERGED, merged_into=target)
    whole_second = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    services.milestone_set(incident=target, kind=MilestoneKind.STARTED, time=whole_second)
    return [*made, bare, target, merged]


@pytest.fixture
def still(monkeypatch):
    """Time stands still, so an open incident's duration is the same in both readings."""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)


def _generic(monkeypatch) -> None:
    """DRF's own walk for every serializer an incident nests, milestones read as DRF would."""
    generic = drf.ModelSerializer.to_representation
    for serializer in (
        serializers.IncidentSerializer,
        serializers.HeldRoleSerializer,
        serializers.ExternalUserSerializer,
    ):
        monkeypatch.setattr(serializer, "to_representation", generic)

    def milestones(self, incident):
        times = {row.kind: row.time for row in incident.milestones.all()}
        field = drf.DateTimeField()
        return {
            kind: field.to_representation(times[kind]) if kind in times else None
            for kind in MilestoneKind.values
        }

    monkeypatch.setattr(serializers.IncidentSerializer, "get_milestones", milestones)


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Kolkata"])
def test_the_hand_written_incidents_match_drf_s_own(api, incidents, still, monkeypatch, zone):
    paths = [
        "/core/incidents/?limit=1000",
        f"/core/incidents/{incidents[-1].pk}/",
        f"/core/incidents/{incidents[-2].pk}/",
        "/core/users/",
    ]
    with override_settings(TIME_ZONE=zone):
        fast = [api.get(path).json() for path in paths]
        _generic(monkeypatch)
        reference = [api.get(path).json() for path in paths]

    assert fast == reference
    listed = fast[0]["results"]
    assert len(listed) == len(incidents)
    assert any(row["lead"] for row in listed) and any(row["roles"] for row in listed)
    assert any(row["milestones"]["resolved"] for row in listed)
    assert fast[1]["merged_into"] == incidents[-2].pk
    assert fast[1]["document_url"] == f"http://testserver/incident/{incidents[-1].pk}/"
    assert fast[2]["reporter"]["deleted"] is True


def test_a_deep_page_matches_drf_s_own(api, incidents, still, monkeypatch):
    builders.many_incidents(1_030, reporter=None, lead=incidents[0].reporter)
    path = "/core/incidents/?offset=1000&limit=40"
    fast = api.get(path).json()
    _generic(monkeypatch)

    assert fast == api.get(path).json()
    assert len(fast["results"]) == 40
