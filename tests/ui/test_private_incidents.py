"""Private incidents in the browser and the API (SPEC §18): counted and listed only for the
people in them; superusers see them all; a search does not find them for anyone else."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from core import services
from core.lifecycle.milestones import MilestoneKind
from core.models import Severity
from tests.ui import builders

pytestmark = pytest.mark.django_db

PERIOD = "from=2026-01-01&to=2026-12-31"
STARTED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def declare(title: str, *, private: bool, reporter=None):
    incident = services.incident_declare(
        title=title,
        reporter=reporter,
        private=private,
        severity=Severity.MAJOR,
        report_time=STARTED + dt.timedelta(minutes=10),
    )
    services.milestone_set(incident=incident, kind=MilestoneKind.STARTED, time=STARTED)
    services.milestone_set(
        incident=incident, kind=MilestoneKind.DETECTED, time=STARTED + dt.timedelta(minutes=5)
    )
    return incident


@pytest.fixture
def people():
    """``member`` declared the private incident (through their linked Slack user);
    ``outsider`` is a plain signed-in person; ``admin`` a superuser."""
    member = builders.login_user("member")
    slack_member = builders.slack_user("U0MEMBER", "member")
    slack_member.owner = member
    slack_member.save(update_fields=["owner"])
    declare("Payments are failing", private=False)
    declare("Quiet payroll leak", private=True, reporter=slack_member)
    admin = get_user_model().objects.create_superuser("admin", password="x")
    return {"member": member, "outsider": builders.login_user("outsider"), "admin": admin}


def as_person(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def overall_incidents(client: Client) -> int:
    return client.get(f"/core/insights/?{PERIOD}").json()["overall"]["incidents"]


def csv_overall(client: Client) -> int:
    rows = list(csv.DictReader(io.StringIO(client.get(f"/insights.csv?{PERIOD}").content.decode())))
    return int(next(row for row in rows if row["grouping"] == "all")["incidents"])


@pytest.mark.parametrize(("who", "counted"), [("outsider", 1), ("member", 2), ("admin", 2)])
def test_insights_count_a_private_incident_only_for_those_who_see_it(people, who, counted):
    client = as_person(people[who])

    assert overall_incidents(client) == counted
    assert csv_overall(client) == counted
    behind = client.get(f"/insights/incidents/?{PERIOD}")
    assert (b"Quiet payroll leak" in behind.content) == (counted == 2)


@pytest.mark.parametrize(("who", "found"), [("outsider", 0), ("member", 1), ("admin", 1)])
def test_a_title_search_finds_a_private_incident_only_for_those_who_see_it(people, who, found):
    client = as_person(people[who])

    api = client.get("/core/incidents/?title=payroll").json()
    page = client.get("/?q=payroll")

    assert api["count"] == found
    assert page.content.count(b"Quiet payroll leak") == found


def test_a_list_keeps_a_constant_number_of_queries_for_an_outsider(
    people, django_assert_max_num_queries
):
    client = as_person(people["outsider"])
    for n in range(5):
        declare(f"Private {n}", private=True)
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_the_declarer_is_recorded_and_nobody_else(people):
    incident = services.incident_declare(
        title="Another", reporter=builders.slack_user("U0OTHER", "other"), private=True
    )

    assert list(incident.access_grants.values_list("user__external_id", "reason")) == [
        ("U0OTHER", "declarer")
    ]
    assert incident.report_time <= timezone.now()


def test_the_admin_shows_a_private_incident_to_superusers_and_members_only(people):
    staff = builders.login_user("staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "view_action"])
    )
    private = services.incident_declare(title="Quiet admin leak", reporter=None, private=True)

    as_staff = as_person(staff).get("/admin/core/incident/")
    as_admin = as_person(people["admin"]).get("/admin/core/incident/")

    assert as_staff.status_code == as_admin.status_code == 200
    assert b"Quiet admin leak" not in as_staff.content
    assert b"Quiet admin leak" in as_admin.content
    assert as_person(staff).get(f"/admin/core/incident/{private.pk}/change/").status_code == 302


def test_those_who_see_a_private_incident_see_that_it_is_private(people):
    page = as_person(people["member"]).get("/?q=payroll")

    assert b'data-testid="private"' in page.content
    assert b'data-testid="private"' not in as_person(people["member"]).get("/?q=Payments").content
