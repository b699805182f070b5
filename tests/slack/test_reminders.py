"""Reminders through /slack/cron_minute, with the clock under the test's control (SPEC §6.9, §8)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from core.models import Severity
from slack import registry
from slack.models import CommsChannel, Notification

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}


class Clock:
    def __init__(self, monkeypatch):
        self.now = T0
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, minutes: float) -> None:
        self.now = T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def open_incident(*, channel_id="C0COMMS", lead=None, severity=None, created=T0):
    incident = services.incident_declare(
        title="Payments are failing", reporter=None, lead=lead, severity=severity, report_time=T0
    )
    CommsChannel.objects.create(
        incident=incident, channel_id=channel_id, name=f"inc-{incident.pk}", created_at=created
    )
    return incident


def someone():
    return services.external_user_upsert(external_id="U0LEAD", display_name="lee")


def tick(client: Client) -> dict:
    response = client.post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()


def tick_every_minute(client, clock, jobs, until_minutes: int, step: int = 1) -> None:
    for minute in range(0, until_minutes + 1, step):
        clock.at(minute)
        tick(client)
    jobs()


REMINDER_TEXTS = ("no lead", "no severity", "Can it be resolved?", "status page update")


def posts(fake_slack, containing: str) -> list[str]:
    return [
        call.params["text"]
        for call in fake_slack.calls("chat.postMessage")
        if containing in call.params.get("text", "")
    ]


def reminder_calls(fake_slack) -> list:
    """Posts of reminders (the declare flow's headline posts and notices are not counted)."""
    return [
        call
        for call in fake_slack.calls("chat.postMessage")
        if any(text in call.params.get("text", "") for text in REMINDER_TEXTS)
    ]


def post_jobs() -> int:
    return ProcrastinateJob.objects.filter(task_name="slack.post_message").count()


def test_no_lead_is_reminded_every_2_minutes_5_times(client, clock, jobs, fake_slack):
    open_incident(severity=Severity.MAJOR)

    tick_every_minute(client, clock, jobs, until_minutes=30)

    assert len(posts(fake_slack, "no lead")) == 5
    assert posts(fake_slack, "no severity") == []


def test_no_lead_reminders_fall_due_on_their_minutes(client, clock, jobs):
    open_incident(severity=Severity.MAJOR)
    sent_at = []
    for minute in range(0, 13):
        clock.at(minute)
        if tick(client)["deferred"]:
            sent_at.append(minute)

    assert sent_at == [2, 4, 6, 8, 10]


def test_no_severity_is_reminded_every_5_minutes_5_times(client, clock, jobs, fake_slack):
    open_incident(lead=someone())

    tick_every_minute(client, clock, jobs, until_minutes=40)

    assert len(posts(fake_slack, "no severity")) == 5
    assert {call.params["channel"] for call in reminder_calls(fake_slack)} == {"C0COMMS"}


def test_still_open_asks_every_12_hours_6_times(client, clock, jobs, fake_slack):
    open_incident(lead=someone(), severity=Severity.MINOR)

    tick_every_minute(client, clock, jobs, until_minutes=100 * 60, step=60)

    asked = posts(fake_slack, "Can it be resolved?")
    assert len(asked) == 6
    assert "open for 12 hrs" in asked[0]


def test_a_reminder_stops_once_its_condition_is_met(client, clock, jobs, fake_slack):
    incident = open_incident(severity=Severity.MAJOR)
    tick_every_minute(client, clock, jobs, until_minutes=5)  # sent at 2 and 4
    services.incident_update(incident=incident, lead=someone())

    tick_every_minute(client, clock, jobs, until_minutes=30)

    assert len(posts(fake_slack, "no lead")) == 2
    ledger = Notification.objects.get(incident=incident, key__endswith="remind_no_lead")
    assert ledger.times_sent == 2  # the skipped ones were not counted


def test_reminders_stop_when_the_incident_closes(client, clock, jobs, fake_slack):
    incident = open_incident()
    tick_every_minute(client, clock, jobs, until_minutes=3)  # one no-lead reminder
    services.incident_close(incident=incident)

    tick_every_minute(client, clock, jobs, until_minutes=60 * 13, step=7)

    assert len(reminder_calls(fake_slack)) == 1


def test_incidents_without_a_comms_channel_get_no_reminders(client, clock, jobs, fake_slack):
    services.incident_declare(title="No channel yet", reporter=None, report_time=T0)

    tick_every_minute(client, clock, jobs, until_minutes=30)

    assert reminder_calls(fake_slack) == []
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "test-cron-token"}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_cron_without_the_token_is_refused_and_claims_nothing(client, clock, jobs, headers):
    open_incident()
    clock.at(60)

    assert client.get("/slack/cron_minute", **headers).status_code == 403
    assert client.post("/slack/cron_minute", **headers).status_code == 403
    assert Notification.objects.count() == 0
    assert post_jobs() == 0


def test_cron_accepts_get_and_reports_a_summary(client, clock, jobs):
    open_incident(severity=Severity.MAJOR)
    clock.at(2)

    response = client.get("/slack/cron_minute", **CRON)

    assert response.status_code == 200
    assert response.json() == {
        "due": 1,
        "claimed": 1,
        "deferred": 1,
        "skipped": 0,
        "failed": 0,
        "updates": {"claimed": 0, "deferred": 0},  # the update cadence's sweep (SPEC §15)
        "overdue_dms": 0,
    }


def test_two_simultaneous_sweeps_post_each_reminder_once(clock, jobs, fake_slack):
    for number in range(20):
        open_incident(channel_id=f"C{number:04d}", severity=Severity.MAJOR)
    clock.at(2)
    barrier = threading.Barrier(2)
    summaries = []

    def sweep_on_its_own_connection():
        try:
            barrier.wait()
            summaries.append(tick(Client()))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_on_its_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs()

    assert sum(summary["deferred"] for summary in summaries) == 20
    assert sorted(call.params["channel"] for call in reminder_calls(fake_slack)) == [
        f"C{number:04d}" for number in range(20)
    ]


def _sweep_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        summary = tick(client)
    assert summary["deferred"] == summary["due"] > 0
    return len(queries)


def test_the_sweep_makes_as_many_queries_for_500_incidents_as_for_1(client, clock, jobs):
    open_incident(channel_id="CFIRST")
    clock.at(2)
    one = _sweep_queries(client)

    for number in range(499):
        open_incident(channel_id=f"CMANY{number:04d}")
    clock.at(4)
    many = _sweep_queries(client)

    assert Notification.objects.filter(times_sent__gt=0).count() == 500
    assert one == many


@pytest.fixture
def failing_reminder():
    @registry.recurring_notification(interval_mins=1, max_notifications=3)
    def explode(incident):
        raise RuntimeError("a broken plugin")

    yield explode
    registry.notifications.unregister(f"{explode.__module__}.{explode.__qualname__}")


def test_a_reminder_that_raises_does_not_stop_the_others(
    client, clock, jobs, fake_slack, failing_reminder, caplog
):
    open_incident(severity=Severity.MAJOR)
    clock.at(2)

    summary = tick(client)
    jobs()

    assert summary["failed"] == 1
    assert len(posts(fake_slack, "no lead")) == 1
    assert "explode failed for incident" in caplog.text


def test_a_plugin_reminder_fires_like_the_built_ins(
    client, clock, jobs, fake_slack, example_plugin
):
    open_incident(lead=someone(), severity=Severity.MAJOR)

    tick_every_minute(client, clock, jobs, until_minutes=90, step=5)

    assert len(posts(fake_slack, "status page update")) == 1
