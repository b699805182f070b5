"""Two update reminder sweeps at once, as cron ticks on two replicas: one reminder per due time.

Each sweep claims its reminders by inserting ledger rows under a unique (incident, due time,
stage) constraint, and defers their posts in the same transaction. Here the first sweep is held
after claiming, with its transaction open, while the second runs: the second must wait for the
first's uncommitted rows and then claim none of them.

Found by breaking it in a copy of the code: without the unique constraint's ``ON CONFLICT DO
NOTHING`` (a plain ``INSERT`` that skips rows it can already see), both sweeps claim and post
every reminder.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core import services
from core.models import Severity
from slack.flows.updates import sweep as update_sweep
from tests.races import Race, sessions_waiting_on_locks, wait_until

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}
INCIDENTS = 6


@pytest.fixture
def clock(monkeypatch):
    now = {"at": T0}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])

    def at(minutes: int) -> None:
        now["at"] = T0 + dt.timedelta(minutes=minutes)

    return at


class HoldAfterClaim:
    """Once armed, the first update sweep to claim its reminders waits right after, its claims
    uncommitted. (The update sweep's own step is held: the reminder sweep that runs before it
    in the same tick defers posts through the same outbox.)"""

    def __init__(self, claim) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self._claim = claim
        self._lock = threading.Lock()

    def __call__(self, **kwargs):
        claims = self._claim(**kwargs)
        with self._lock:
            first = self.armed and not self.entered.is_set()
            if first:
                self.entered.set()
        if first:
            assert self.release.wait(timeout=15), "the held sweep was never released"
        return claims


@pytest.fixture
def hold(monkeypatch):
    held = HoldAfterClaim(update_sweep.update_reminders_claim)
    monkeypatch.setattr(update_sweep, "update_reminders_claim", held)
    yield held
    held.release.set()


def open_incidents(count: int) -> list[str]:
    """Critical incidents (an update every 30 minutes) declared at T0, each with its channel."""
    channels = []
    for number in range(count):
        incident = services.incident_declare(
            title=f"Payments are failing {number}",
            reporter=None,
            severity=Severity.CRITICAL,
            report_time=T0,
        )
        channel_id = f"C{number:04d}UPD"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO slack_commschannel (incident_id, channel_id, name, created_at) "
                "VALUES (%s, %s, %s, %s)",
                [incident.pk, channel_id, f"inc-{incident.pk}", T0],
            )
        channels.append(channel_id)
    return channels


def tick() -> dict:
    response = Client().post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()["updates"]


def reminder_posts() -> list[tuple[str, str]]:
    """(channel, first or second) of every update reminder deferred so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args ->> 'channel_id', args ->> 'text' FROM procrastinate_jobs "
            "WHERE task_name = 'slack.post_message' AND args ->> 'text' LIKE %s",
            ["%update on incident%"],
        )
        rows = cursor.fetchall()
    return sorted((channel, "second" if "still no" in text else "first") for channel, text in rows)


def race_two_ticks(hold: HoldAfterClaim) -> Race:
    hold.armed = True
    race = Race(tick, tick).start()
    wait_until("a sweep holds its claims uncommitted", hold.entered.is_set)
    wait_until(
        "the other sweep is done or waiting for those claims",
        lambda: race.finished == 1 or sessions_waiting_on_locks() >= 1,
    )
    hold.release.set()
    race.join()
    assert not race.errors
    return race


def test_two_racing_sweeps_post_one_reminder_per_due_time(clock, jobs, hold):
    channels = open_incidents(INCIDENTS)

    clock(30)  # the first reminders fall due
    first = race_two_ticks(hold)
    clock(60)  # still no update: the second reminders
    hold.entered.clear()
    hold.release.clear()
    second = race_two_ticks(hold)
    clock(61)  # and nothing more, however often the sweeps run
    tick()
    tick()

    posted = reminder_posts()
    twice = sorted({post for post in posted if posted.count(post) > 1})
    expected = sorted((channel, kind) for channel in channels for kind in ("first", "second"))
    assert posted == expected, f"posted more than once: {twice}" if twice else "a post is missing"
    assert sorted(summary["claimed"] for summary in first.results) == [0, INCIDENTS]
    assert sorted(summary["claimed"] for summary in second.results) == [0, INCIDENTS]
