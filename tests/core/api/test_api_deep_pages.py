"""Deep pages (``?offset=`` past 1,000) find their ids first and then read the rows; past the
middle they skip from the far end (``core.selectors.IdsFirst``): the same rows, in the same
order, for every offset, filter and viewer, in as few queries as a first page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import services
from core.models import AccessReason, Incident, Severity
from tests.ui import builders

pytestmark = pytest.mark.django_db

MANY = 2_300
# Every kind of deep offset: nearer the start (read forwards), just past the middle, near and at
# the end, and beyond it.
DEEP_OFFSETS = [1000, 1150, 1251, 2200, MANY - 7, MANY, MANY + 50]


@pytest.fixture
def viewer():
    """The person signed in, with a Slack identity that may be granted private incidents."""
    person = builders.login_user("script")
    identity = builders.slack_user("U0SCRIPT", "script")
    identity.owner = person
    identity.save()
    return identity


@pytest.fixture
def api(client, viewer):
    client.force_login(viewer.owner)
    return client


@pytest.fixture
def many_incidents() -> list[Incident]:
    """Incidents whose report times tie in pairs, so the order needs its tie-breaker (id); one
    in ten critical, the rest major (more than 2,000 of them); the first reported by Carol."""
    start = timezone.now() - dt.timedelta(days=30)
    carol = builders.slack_user("U0CAROL", "carol")
    return Incident.objects.bulk_create(
        Incident(
            title=f"Incident {n}",
            report_time=start + dt.timedelta(minutes=n // 2),
            start_time=start,
            severity=Severity.CRITICAL if n % 10 == 0 else Severity.MAJOR,
            reporter=carol if n < MANY // 2 else None,
        )
        for n in range(MANY)
    )


@pytest.fixture
def some_private(many_incidents, viewer) -> list[Incident]:
    """Every seventh incident private; the viewer granted one in three of those. Returns what
    the viewer may see."""
    hidden = many_incidents[::7]
    Incident.objects.filter(pk__in=[i.pk for i in hidden]).update(private=True)
    for incident in hidden[::3]:
        services.incident_access_grant(incident=incident, user=viewer, reason=AccessReason.APPROVED)
    granted = {i.pk for i in hidden[::3]}
    shut = {i.pk for i in hidden} - granted
    return [i for i in many_incidents if i.pk not in shut]


def _newest_first(incidents: list[Incident]) -> list[int]:
    return [i.pk for i in sorted(incidents, key=lambda i: (i.report_time, i.pk), reverse=True)]


def _ids(api, query: str) -> tuple[int, list[int]]:
    page = api.get(f"/core/incidents/?{query}").json()
    return page["count"], [row["id"] for row in page["results"]]


@pytest.mark.parametrize("offset", DEEP_OFFSETS)
def test_a_deep_page_has_the_rows_a_shallow_reading_would_give(api, many_incidents, offset):
    count, ids = _ids(api, f"offset={offset}&limit=100")

    assert count == MANY
    assert ids == _newest_first(many_incidents)[offset : offset + 100]


@pytest.mark.parametrize("offset", [1000, MANY // 2 - 40])
def test_a_deep_page_keeps_its_filters(api, many_incidents, offset):
    """Severity is counted from the tallies; the reporter is counted on the rows."""
    major = [i for i in many_incidents if i.severity == Severity.MAJOR]
    by_carol = [i for i in many_incidents if i.reporter_id is not None]

    assert _ids(api, f"severity=major&offset={offset}&limit=100") == (
        len(major),
        _newest_first(major)[offset : offset + 100],
    )
    assert _ids(api, f"reporter=U0CAROL&offset={offset}&limit=100") == (
        len(by_carol),
        _newest_first(by_carol)[offset : offset + 100],
    )


@pytest.mark.parametrize("offset", [1000, 1900])
def test_a_deep_page_of_a_title_search(api, many_incidents, offset):
    # "Incident 1" is in the titles of incidents 1, 10 to 19, 100 to 199 and 1000 to 1999.
    found = [i for i in many_incidents if "Incident 1" in i.title]

    assert _ids(api, f"title=Incident+1&offset={offset}&limit=50") == (
        len(found),
        _newest_first(found)[offset : offset + 50],
    )


@pytest.mark.parametrize("offset", DEEP_OFFSETS)
def test_a_deep_page_leaves_out_the_private_incidents_the_viewer_may_not_see(
    api, some_private, offset
):
    count, ids = _ids(api, f"offset={offset}&limit=100")

    assert count == len(some_private)
    assert ids == _newest_first(some_private)[offset : offset + 100]


def test_the_last_page_ends_where_the_incidents_end(api, many_incidents):
    page = api.get(f"/core/incidents/?offset={MANY - 7}&limit=100").json()

    assert [row["id"] for row in page["results"]] == _newest_first(many_incidents)[-7:]
    assert page["next"] is None


def test_a_page_past_the_middle_skips_from_the_far_end(api, many_incidents):
    """Rows 2,100 to 2,199 of 2,300 are found by skipping the 100 rows after them, not the 2,100
    before them."""
    with CaptureQueriesContext(connection) as deep:
        api.get("/core/incidents/?offset=2100&limit=100")

    skipped = [int(n) for q in deep.captured_queries for n in re.findall(r"OFFSET (\d+)", q["sql"])]
    assert skipped == [100]


def test_a_deep_page_costs_one_query_more_than_a_first_page(api, many_incidents):
    with CaptureQueriesContext(connection) as first:
        api.get("/core/incidents/?limit=100")
    for offset in (1000, 2200):
        with CaptureQueriesContext(connection) as deep:
            api.get(f"/core/incidents/?offset={offset}&limit=100")

        assert len(deep.captured_queries) == len(first.captured_queries) + 1


@pytest.mark.parametrize("page", [41, 45, 84, 99])
def test_a_deep_page_of_the_incident_list_has_the_rows_of_a_shallow_reading(
    api, some_private, page
):
    """The list page (25 a page) reads its deep pages the same way, private incidents and
    filters included; a page past the last shows the last."""
    shown = api.get(f"/?page={page}")

    rows = [row.incident.pk for row in shown.context["rows"]]
    assert rows == _list_page(_newest_first(some_private), page)
    assert shown.context["page"].paginator.count == len(some_private)
    major = [i for i in some_private if i.severity == Severity.MAJOR]
    deep_major = api.get(f"/?severity=2&page={page}").context["rows"]
    assert [row.incident.pk for row in deep_major] == _list_page(_newest_first(major), page)


def _list_page(ids: list[int], number: int, per_page: int = 25) -> list[int]:
    number = min(number, -(-len(ids) // per_page))
    return ids[(number - 1) * per_page : number * per_page]


def test_the_count_comes_from_the_tallies_where_the_filters_allow(api, many_incidents):
    with CaptureQueriesContext(connection) as by_severity:
        api.get("/core/incidents/?severity=major")
    with CaptureQueriesContext(connection) as by_reporter:
        api.get("/core/incidents/?reporter=U0CAROL")

    assert not [q for q in by_severity.captured_queries if "COUNT(" in q["sql"]]
    assert [q for q in by_reporter.captured_queries if "COUNT(" in q["sql"]]
