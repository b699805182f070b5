"""The lists count incidents from tallies the database keeps (``core.IncidentTally``): for every
filter the lists offer and every viewer, the count is the number of rows a search gives, after
every kind of write (services, ``bulk_create``, ``QuerySet.update``, deletes), after folding,
and with writers and folds running at once."""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from core import selectors, services
from core.access import Acting, Via, acting_as
from core.models import AccessReason, Incident, IncidentStatus, IncidentTally, Severity
from core.selectors import NO_SEVERITY, OPEN
from tests.races import Race
from tests.ui import builders

STATUSES = [None, OPEN, *IncidentStatus.values]
SEVERITIES = [None, NO_SEVERITY, *Severity.values]


@pytest.fixture
def viewers():
    """Who counts: the system (sees everything), a person granted one private incident, and
    a person granted none."""
    insider = builders.slack_user("U0INSIDER", "insider")
    insider.owner = builders.login_user("insider")
    insider.save()
    outsider = get_user_model().objects.create_user("outsider")
    return {
        "system": Acting(),
        "insider": Acting.for_person(insider.owner, Via.BROWSER),
        "outsider": Acting.for_person(outsider, Via.BROWSER),
        "insider_slack_user": insider,
    }


def _mismatches(viewers) -> list[tuple]:
    wrong = []
    for name in ("system", "insider", "outsider"):
        with acting_as(viewers[name]):
            for status, severity in itertools.product(STATUSES, SEVERITIES):
                counted = selectors.incident_count(status=status, severity=severity)
                rows = selectors.incident_search(status=status, severity=severity).count()
                if counted != rows:
                    wrong.append((name, status, severity, counted, rows))
    return wrong


def _writes_of_every_kind(viewers) -> None:
    lead = builders.slack_user("U0LEAD", "lead")
    made = [builders.incident(f"Declared {n}", severity=(n % 4) + 1, lead=lead) for n in range(6)]
    builders.incident("Reported", report_only=True)
    builders.incident("In triage", triage=True, severity=None)
    builders.many_incidents(20, reporter=lead, lead=lead)
    services.incident_close(incident=made[0])
    services.incident_update(incident=made[1], severity=Severity.TRIVIAL)
    services.incident_update(incident=made[2], title="Only the title changes")
    Incident.objects.filter(pk__in=[made[3].pk, made[4].pk]).update(private=True)
    services.incident_access_grant(
        incident=made[3], user=viewers["insider_slack_user"], reason=AccessReason.APPROVED
    )
    Incident.objects.filter(severity=Severity.MINOR).update(status=IncidentStatus.MONITORING)
    Incident.objects.filter(title__regex=r"^Incident number [23] ").delete()


@pytest.mark.django_db
def test_the_count_is_the_number_of_rows_for_every_filter_and_viewer(viewers):
    _writes_of_every_kind(viewers)
    assert Incident.objects.filter(private=True).count() == 2

    assert _mismatches(viewers) == []


@pytest.mark.django_db
def test_folding_keeps_every_count_in_fewer_rows(viewers):
    _writes_of_every_kind(viewers)
    before = IncidentTally.objects.count()

    left = services.incident_tally_fold()

    assert left == IncidentTally.objects.count() < before
    kinds = Incident.objects.values_list("status", "severity", "private").distinct().count()
    assert left == kinds
    assert _mismatches(viewers) == []


@pytest.mark.django_db
def test_the_api_and_the_list_page_give_the_same_count(client, viewers):
    _writes_of_every_kind(viewers)
    client.force_login(get_user_model().objects.get(username="outsider"))
    expected = Incident.objects.filter(
        private=False, status__in=selectors.LIVE_STATUSES, severity=Severity.CRITICAL
    ).count()
    assert expected > 0

    api = client.get("/core/incidents/?status=open&severity=critical").json()
    page = client.get("/?status=open&severity=1")

    assert api["count"] == expected
    assert page.context["page"].paginator.count == expected
    # Filters the tallies do not count by are counted on the rows.
    since = Incident.objects.order_by("report_time")[5].report_time.isoformat()
    for query, rows in [
        (urlencode({"report_time_after": since}), Incident.objects.filter(report_time__gte=since)),
        (
            "lead=U0LEAD&status=open",
            Incident.objects.filter(
                status__in=selectors.LIVE_STATUSES,
                role_assignments__role__name="lead",
                role_assignments__holder__external_id="U0LEAD",
            ),
        ),
        ("title=declared", Incident.objects.filter(title__icontains="declared")),
    ]:
        listed = client.get(f"/core/incidents/?{query}").json()
        assert listed["count"] == rows.filter(private=False).count() == len(listed["results"])


@pytest.mark.django_db(transaction=True)
def test_writers_and_folds_at_once_lose_nothing(viewers):
    def writer(name: str):
        def write() -> None:
            for n in range(15):
                incident = builders.incident(f"{name} {n}", severity=(n % 4) + 1)
                if n % 3 == 0:
                    services.incident_close(incident=incident)
                if n % 5 == 0:
                    Incident.objects.filter(pk=incident.pk).update(private=True)

        return write

    def folder() -> None:
        for _ in range(30):
            services.incident_tally_fold()

    race = Race(writer("first"), writer("second"), folder, folder).start().join(timeout=60)

    assert race.errors == []
    assert _mismatches(viewers) == []
