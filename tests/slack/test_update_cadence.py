"""The update cadence (SPEC §15) through /slack/cron_minute, with the clock under the test's
control, and its intervals set in the admin."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from core import services
from core.models import Severity, UpdateCadence
from slack.flows.updates import ids
from slack.flows.updates.schedule import update_times
from slack.models import CommsChannel, UpdateReminder

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}


@pytest.fixture
def clock(monkeypatch):
    now = {"at": T0}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])

    def at(minutes: float) -> None:
        now["at"] = T0 + dt.timedelta(minutes=minutes)

    return at


def person(user_id: str):
    return services.external_user_upsert(external_id=user_id, display_name=user_id.lower())


def open_incident(*, severity=Severity.CRITICAL, lead="U0LEAD", channel_id="C0COMMS"):
    incident = services.incident_declare(
        title="Payments are failing",
        reporter=None,
        lead=person(lead) if lead else None,
        severity=severity,
        report_time=T0,
    )
    CommsChannel.objects.create(
        incident=incident, channel_id=channel_id, name=f"inc-{incident.pk}", created_at=T0
    )
    return incident


def tick(client) -> dict:
    response = client.post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()["updates"]


def reminders_at(client, clock, jobs, fake_slack, minutes) -> dict[int, list[dict]]:
    """The update reminders posted at each of ``minutes``, by minute."""
    posted: dict[int, list[dict]] = {}
    for minute in minutes:
        clock(minute)
        tick(client)
        jobs()
        calls = [c.params for c in fake_slack.calls("chat.postMessage")]
        fake_slack.reset()
        found = [c for c in calls if "update on incident" in c["text"]]
        if found:
            posted[minute] = found
    return posted


def test_a_critical_incident_is_reminded_at_30_then_once_more_with_the_lead_at_60(
    client, clock, jobs, fake_slack
):
    incident = open_incident()
    services.role_assign(incident=incident, role="comms", holder=person("U0COMMS"))

    posted = reminders_at(client, clock, jobs, fake_slack, range(0, 181, 5))

    assert sorted(posted) == [30, 60]
    [first], [second] = posted[30], posted[60]
    assert first["channel"] == "C0COMMS"
    assert "<@U0COMMS>" in first["text"] and "<@U0LEAD>" not in first["text"]
    assert "<@U0COMMS>" in second["text"] and "<@U0LEAD>" in second["text"]
    assert "still no update" in second["text"]
    assert ids.SHARE_UPDATE in json.dumps(first["blocks"])
    assert UpdateReminder.objects.filter(incident=incident).count() == 2


def test_without_a_comms_role_holder_the_lead_is_called_on(client, clock, jobs, fake_slack):
    open_incident()

    posted = reminders_at(client, clock, jobs, fake_slack, [30])

    assert "<@U0LEAD>" in posted[30][0]["text"]


def test_a_shared_update_moves_the_due_time_to_its_promise(client, clock, jobs, fake_slack):
    incident = open_incident()
    clock(20)
    with transaction.atomic():
        services.update_share(
            incident=incident,
            author=None,
            what_changed="Rolled back",
            next_update_in=dt.timedelta(minutes=15),
        )
    jobs()

    posted = reminders_at(client, clock, jobs, fake_slack, range(20, 61, 1))

    # Due at 35 (the promise), not at 30; once more one interval (30 min) after that.
    assert sorted(posted) == [35]
    assert sorted(reminders_at(client, clock, jobs, fake_slack, range(61, 120, 1))) == [65]


def test_without_a_promise_the_interval_counts_from_the_last_update(
    client, clock, jobs, fake_slack
):
    incident = open_incident()
    clock(20)
    with transaction.atomic():
        services.update_share(incident=incident, author=None, impact="Cards fail")

    assert sorted(reminders_at(client, clock, jobs, fake_slack, range(20, 80, 1))) == [50]


def test_resolving_the_incident_stops_the_reminders(client, clock, jobs, fake_slack):
    incident = open_incident()
    assert sorted(reminders_at(client, clock, jobs, fake_slack, range(0, 31))) == [30]
    services.incident_close(incident=incident)

    assert reminders_at(client, clock, jobs, fake_slack, range(31, 300, 7)) == {}


def test_trivial_incidents_have_no_cadence(client, clock, jobs, fake_slack):
    open_incident(severity=Severity.TRIVIAL)
    open_incident(severity=None, channel_id="C0NOSEV")

    assert reminders_at(client, clock, jobs, fake_slack, range(0, 24 * 60, 59)) == {}


def test_the_admin_sets_a_severitys_interval(client, clock, jobs, fake_slack, admin_client):
    response = admin_client.post(
        "/admin/core/updatecadence/add/",
        {"severity": Severity.MAJOR, "interval_minutes": "5"},
    )
    assert response.status_code == 302
    open_incident(severity=Severity.MAJOR)

    assert sorted(reminders_at(client, clock, jobs, fake_slack, range(0, 12))) == [5, 10]


def test_the_admin_can_take_a_severitys_cadence_away(client, clock, jobs, fake_slack, admin_client):
    admin_client.post(
        "/admin/core/updatecadence/add/", {"severity": Severity.CRITICAL, "interval_minutes": ""}
    )
    assert UpdateCadence.objects.get(severity=Severity.CRITICAL).interval_minutes is None
    open_incident()

    assert reminders_at(client, clock, jobs, fake_slack, range(0, 200, 10)) == {}


@pytest.mark.parametrize(
    ("minutes", "reason"),
    [("0", "An update interval is at least 1 minute"), ("-5", "greater than or equal to")],
)
def test_the_admin_refuses_an_interval_below_a_minute(admin_client, minutes, reason):
    response = admin_client.post(
        "/admin/core/updatecadence/add/",
        {"severity": Severity.MAJOR, "interval_minutes": minutes},
    )

    assert response.status_code == 200  # the form again, with the reason
    [error] = response.context["adminform"].form.errors["interval_minutes"]
    assert reason in error
    assert not UpdateCadence.objects.exists()


def test_the_headline_and_the_sweep_agree_on_when_an_update_is_due(client, clock, jobs):
    # The headline works the due time out in Python, the sweep in SQL: the same rule.
    never_updated = open_incident(channel_id="C0NEVER")
    unpromised, promised = open_incident(channel_id="C0UNPROM"), open_incident(channel_id="C0PROM")
    clock(10)
    services.update_share(incident=unpromised, author=None, impact="Cards fail")
    services.update_share(
        incident=promised, author=None, impact="Cards fail", next_update_in=dt.timedelta(hours=2)
    )
    expected = {i.pk: update_times(i).next_due for i in (never_updated, unpromised, promised)}
    clock(24 * 60)

    tick(client)

    claimed = dict(UpdateReminder.objects.filter(stage=1).values_list("incident_id", "due_at"))
    assert claimed == expected
    assert expected[never_updated.pk] == T0 + dt.timedelta(minutes=30)
    assert expected[promised.pk] == T0 + dt.timedelta(minutes=130)
