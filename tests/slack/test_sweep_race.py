"""Two reminder sweeps at once, once the ledger rows exist: each due reminder is posted once.

On the first tick the ledger rows are created by ``INSERT … ON CONFLICT``, which makes a second
sweep wait for the first, so a race there proves nothing about the ledger's row locks. Here the
rows already exist (the first reminder was sent), and the second sweep runs while the first holds
its rows: a reminder of the first sweep waits until the second sweep is done or waiting.

What the row locks are for, as found by breaking them in a copy of the code:

* without ``FOR UPDATE OF ledger SKIP LOCKED`` both sweeps find the same due rows, both post,
  and the ledger counts one send (each sweep writes ``times_sent + 1`` from what it read);
* with a plain ``FOR UPDATE`` (no ``SKIP LOCKED``) the reminders are still posted once: the
  second sweep waits for the first to commit, PostgreSQL then re-checks its ``WHERE`` against the
  new ``times_sent``, and the rows are no longer due. It is as safe, but a sweep stuck behind a
  slow one waits for it instead of going on with other rows.
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
from slack import registry  # the one module of the Slack app this test needs
from tests.races import Race, sessions_waiting_on_locks, wait_until

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}
INCIDENTS = 6
SLOW_TEXT = "slow reminder"


@pytest.fixture
def clock(monkeypatch):
    """Minutes after T0, for every thread."""
    now = {"at": T0}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])

    def at(minutes: int) -> None:
        now["at"] = T0 + dt.timedelta(minutes=minutes)

    return at


class Hold:
    """Once armed, the first call waits (with its sweep's rows locked) until released."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            first = self.armed and not self.entered.is_set()
            if first:
                self.entered.set()
        if first:
            assert self.release.wait(timeout=15), "the held sweep was never released"


@pytest.fixture
def slow_reminder():
    """A reminder due with the no-lead one (every 2 minutes) whose handler can be held."""
    hold = Hold()

    @registry.recurring_notification(interval_mins=2, max_notifications=5)
    def slow(incident):
        hold()
        incident.comms_channel.post_in_channel(f"{SLOW_TEXT} for incident {incident.pk}")

    yield hold
    hold.release.set()
    registry.notifications.unregister(f"{slow.__module__}.{slow.__qualname__}")


def open_incidents(count: int) -> list[str]:
    """Open incidents with a severity and no lead, with comms channels created at T0."""
    channels = []
    for number in range(count):
        incident = services.incident_declare(
            title=f"Payments are failing {number}",
            reporter=None,
            severity=Severity.MAJOR,
            report_time=T0,
        )
        channel_id = f"C{number:04d}RACE"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO slack_commschannel (incident_id, channel_id, name, created_at) "
                "VALUES (%s, %s, %s, %s)",
                [incident.pk, channel_id, f"inc-{incident.pk}", T0],
            )
        channels.append(channel_id)
    return channels


def tick(client: Client) -> dict:
    response = client.post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()


def post_jobs_after(job_id: int) -> list[tuple[str, str]]:
    """(channel, kind of reminder) of every post deferred after ``job_id``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args ->> 'channel_id', args ->> 'text' FROM procrastinate_jobs "
            "WHERE task_name = 'slack.post_message' AND id > %s ORDER BY id",
            [job_id],
        )
        rows = cursor.fetchall()
    return sorted((channel, "slow" if SLOW_TEXT in text else "no lead") for channel, text in rows)


def last_job_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


def ledger() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT channel.channel_id, ledger.times_sent FROM slack_notification AS ledger "
            "JOIN slack_commschannel AS channel USING (incident_id) "
            "WHERE ledger.key LIKE %s OR ledger.key LIKE %s ORDER BY 1, 2",
            ["%remind_no_lead", "%slow"],
        )
        return cursor.fetchall()


def test_two_sweeps_over_existing_ledger_rows_post_each_due_reminder_once(
    clock, jobs, slow_reminder
):
    channels = open_incidents(INCIDENTS)
    clock(2)
    first = tick(Client())  # creates the ledger rows and sends the first reminders
    assert first["deferred"] == 2 * INCIDENTS
    assert ledger() == sorted([(channel, 1) for channel in channels] * 2)
    before = last_job_id()

    clock(4)  # the second reminders fall due
    slow_reminder.armed = True
    race = Race(lambda: tick(Client()), lambda: tick(Client())).start()
    wait_until("a sweep runs a reminder with its rows locked", slow_reminder.entered.is_set)
    # The other sweep has skipped the locked rows (done), or is waiting for them.
    wait_until(
        "the other sweep is done or waiting",
        lambda: race.finished == 1 or sessions_waiting_on_locks() >= 1,
    )
    slow_reminder.release.set()
    race.join()

    assert not race.errors
    posted = post_jobs_after(before)
    twice = sorted({post for post in posted if posted.count(post) > 1})
    expected = sorted((channel, kind) for channel in channels for kind in ("no lead", "slow"))
    assert posted == expected, f"posted more than once: {twice}" if twice else "a post is missing"
    assert sum(summary["deferred"] for summary in race.results) == 2 * INCIDENTS
    assert ledger() == sorted([(channel, 2) for channel in channels] * 2)
