"""Cron ticks racing over the overdue DMs: each owner still gets exactly one DM that day.

The sweep claims ``(owner, day)`` ledger rows with ``INSERT … ON CONFLICT DO NOTHING RETURNING``
and defers DMs only for the rows it inserted. Here one sweep is held with its rows inserted and
not yet committed while the other runs: that one must wait on those rows, then insert nothing.
A sweep that first looked for today's rows and then sent for those it did not find (reading
before either sweep committed) sends every DM twice here; a second tick later the same day does
not show that, so ``test_overdue_dm.py`` alone would not catch it.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core import services
from slack.flows.postmortem import sweep
from slack.flows.postmortem.models import OverdueDigest
from tests.races import Race, sessions_waiting_on_locks, wait_until

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: T0)


def owners_with_overdue_follow_ups(count: int) -> list[str]:
    incident = services.incident_declare(title="Payments are failing", reporter=None)
    ids = []
    for number in range(count):
        owner = services.external_user_upsert(external_id=f"U{number:04d}RACE", display_name="x")
        services.action_log(
            incident=incident,
            details=f"Follow-up {number}",
            owner=owner,
            due_at=T0 - dt.timedelta(days=1),
        )
        ids.append(owner.pk)
    return ids


def tick() -> int:
    response = Client().post("/slack/cron_minute", **CRON)
    assert response.status_code == 200
    return response.json()["overdue_dms"]


def dm_jobs_per_owner() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT digest.owner_id, count(*) FROM procrastinate_jobs AS job "
            "JOIN slack_overduedigest AS digest ON digest.id = (job.args ->> 'digest_id')::bigint "
            "WHERE job.task_name = 'slack.send_overdue_dm' GROUP BY digest.owner_id"
        )
        return dict(cursor.fetchall())


def dms(fake_slack) -> list[str]:
    """The direct-message channel of each post (the incident's headline is not one)."""
    posts = fake_slack.calls("chat.postMessage")
    return [c.params["channel"] for c in posts if c.params["channel"].startswith("D")]


class HeldDeferral:
    """Wraps the sweep's deferral: the first sweep to reach it waits there, rows inserted."""

    def __init__(self, defer) -> None:
        self.defer = defer
        self.entered = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, digest_ids: list[int]) -> None:
        with self._lock:
            first = not self.entered.is_set()
            self.entered.set()
        if first:
            assert self.release.wait(timeout=15), "the held sweep was never released"
        self.defer(digest_ids)


def test_a_sweep_racing_a_held_one_sends_no_dm_twice(monkeypatch, jobs, fake_slack):
    owners = owners_with_overdue_follow_ups(6)
    held = HeldDeferral(sweep._defer_dms)
    monkeypatch.setattr(sweep, "_defer_dms", held)

    race = Race(tick, tick).start()
    wait_until("a sweep holds its claimed rows", held.entered.is_set)
    wait_until(
        "the other sweep is done or waiting on those rows",
        lambda: race.finished == 1 or sessions_waiting_on_locks() >= 1,
    )
    held.release.set()
    race.join()

    assert not race.errors
    assert dm_jobs_per_owner() == dict.fromkeys(owners, 1)
    assert sorted(race.results) == [0, 6]
    assert OverdueDigest.objects.count() == 6
    jobs()
    assert len(dms(fake_slack)) == 6


def test_many_ticks_at_once_send_each_owner_one_dm(jobs, fake_slack):
    owners = owners_with_overdue_follow_ups(20)

    race = Race(tick, tick, tick).start().join()

    assert not race.errors
    assert sum(race.results) == 20
    assert dm_jobs_per_owner() == dict.fromkeys(owners, 1)
    jobs()
    assert len(dms(fake_slack)) == len(set(dms(fake_slack))) == 20
