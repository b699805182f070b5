"""Deep pages of the API (``?offset=`` past 1,000) find their ids first and then read the rows
(``core/api/pagination.py``): the same rows, in the same order, filters and all, in as few
queries as a first page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Incident, Severity
from tests.ui import builders

pytestmark = pytest.mark.django_db

MANY = 1_150


@pytest.fixture
def api(client):
    client.force_login(builders.login_user("script"))
    return client


@pytest.fixture
def many_incidents() -> list[Incident]:
    """Incidents whose report times tie in pairs, so the order needs its tie-breaker (id); one
    in ten critical, the rest major (more than 1,000 of them)."""
    start = timezone.now() - dt.timedelta(days=30)
    return Incident.objects.bulk_create(
        Incident(
            title=f"Incident {n}",
            report_time=start + dt.timedelta(minutes=n // 2),
            start_time=start,
            severity=Severity.CRITICAL if n % 10 == 0 else Severity.MAJOR,
        )
        for n in range(MANY)
    )


def _newest_first(incidents: list[Incident]) -> list[int]:
    return [i.pk for i in sorted(incidents, key=lambda i: (i.report_time, i.pk), reverse=True)]


def test_a_deep_page_has_the_rows_a_shallow_reading_would_give(api, many_incidents):
    page = api.get("/core/incidents/?offset=1050&limit=40").json()

    assert page["count"] == MANY
    assert [row["id"] for row in page["results"]] == _newest_first(many_incidents)[1050:1090]


def test_a_deep_page_keeps_its_filters(api, many_incidents):
    major = [i for i in many_incidents if i.severity == Severity.MAJOR]
    assert len(major) > 1000

    page = api.get("/core/incidents/?severity=major&offset=1000&limit=100").json()

    assert page["count"] == len(major)
    assert [row["id"] for row in page["results"]] == _newest_first(major)[1000:]


def test_the_last_page_ends_where_the_incidents_end(api, many_incidents):
    page = api.get(f"/core/incidents/?offset={MANY - 7}&limit=100").json()

    assert [row["id"] for row in page["results"]] == _newest_first(many_incidents)[-7:]
    assert page["next"] is None


def test_a_deep_page_costs_one_query_more_than_a_first_page(api, many_incidents):
    with CaptureQueriesContext(connection) as first:
        api.get("/core/incidents/?limit=100")
    with CaptureQueriesContext(connection) as deep:
        api.get("/core/incidents/?offset=1000&limit=100")

    assert len(deep.captured_queries) == len(first.captured_queries) + 1


def test_a_deep_page_of_the_incident_list_has_the_rows_of_a_shallow_reading(api, many_incidents):
    """The list page (25 a page) reads its deep pages the same way."""
    page = api.get("/?page=45")
    shown = [row.incident.pk for row in page.context["rows"]]

    assert shown == _newest_first(many_incidents)[44 * 25 : 45 * 25]
    assert page.context["page"].paginator.count == MANY
    major = [i for i in many_incidents if i.severity == Severity.MAJOR]
    deep_major = api.get("/?severity=2&page=41").context["rows"]
    assert [row.incident.pk for row in deep_major] == _newest_first(major)[1000:1025]
