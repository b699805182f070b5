"""The headline of one incident with two workers taking jobs at once, and a slow Slack.

The headline is posted by the central channel's publisher; an update that finds it being posted
waits for the post. The updates of an incident share the procrastinate lock ``headline-<id>``
(one at a time, in the order deferred) and a queueing lock (at most one waiting). Two real worker
processes (``manage.py procrastinate worker``, one job at a time each) run the jobs here, against
the stand-in Slack, while the test changes the incident.

What each test catches, as found by breaking the code in a copy:

* without the wait for a post in progress, or the lock on the updates, an update runs while the
  first post is still waiting for Slack: the headline is not stored yet, so the update does
  nothing, and the change it was for never reaches the headline (an update cannot reach Slack
  *before* the post: it has no ``ts`` to update until the post is stored; the lost change is how
  running early shows);
* without the lock on the updates, a newer update overtakes a slow older one, which lands last:
  the headline ends up showing an older state;
* without the queueing lock, every change waiting behind a slow update becomes an update of its
  own, all run one after another.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection

from core import services
from tests.races import wait_until
from tests.worker_process import start_worker, stop_worker

POST_SECONDS = 1.0  # how long Slack takes to answer the first post
SLOW_UPDATE_SECONDS = 1.5  # how long it takes to answer the first chat.update
FAST_UPDATE_SECONDS = 0.05  # and every later one
WORKERS = 2


def step(number: int) -> str:
    return f"Step {number}"


def step_of(text: str) -> int:
    found = re.search(r"Step (\d+)", text)
    assert found, f"no step in {text!r}"
    return int(found.group(1))


class SlowUpdates:
    """``chat.update`` answered slowly the first time, quickly after; ``applied`` lists the
    steps in the order Slack finished taking them (what a reader of the channel sees last)."""

    def __init__(self, fake_slack) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.arrived = 0
        self.applied: list[int] = []
        fake_slack.on("chat.update", self._answer)

    def _answer(self, params):
        with self._lock:
            first = self.arrived == 0
            self.arrived += 1
        self._stop.wait(SLOW_UPDATE_SECONDS if first else FAST_UPDATE_SECONDS)
        with self._lock:
            self.applied.append(step_of(params.get("text", "")))
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture
def slow_updates(fake_slack):
    updates = SlowUpdates(fake_slack)
    yield updates
    updates.stop()


def _latest_worker_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


def _workers_since(worker_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_workers WHERE id > %s", [worker_id])
        return cursor.fetchone()[0]


@pytest.fixture
def two_workers(jobs, fake_slack, tmp_path):
    """Two worker processes on the test database, both started and waiting for jobs."""
    before = _latest_worker_id()
    logs = [tmp_path / f"worker-{number}.log" for number in range(WORKERS)]
    workers = [
        start_worker(log, SLACK_API_BASE_URL=fake_slack.base_url, WORKER_CONCURRENCY="1")
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 60
        while _workers_since(before) < WORKERS:
            assert all(w.poll() is None for w in workers), "a worker exited on start"
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        yield workers
    finally:
        for worker, log in zip(workers, logs, strict=True):
            stop_worker(worker, log)


def declare():
    return services.incident_declare(
        title=step(0), reporter=services.external_user_get_or_create(external_id="U0ALICE")
    )


def change(incident, number: int) -> None:
    services.incident_update(incident=incident, title=step(number))


def stored_headline_ts(incident_id: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts FROM slack_headlinepost WHERE incident_id = %s AND ts <> ''", [incident_id]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def headline_jobs_pending() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name IN ('slack.post_headline', 'slack.update_headline') "
            "AND status IN ('todo', 'doing')"
        )
        return cursor.fetchone()[0]


def wait_until_settled(fake_slack, slow_updates) -> None:
    """Every headline job done, and every chat.update Slack received answered."""
    wait_until(
        "the headline jobs are done",
        lambda: (
            headline_jobs_pending() == 0
            and len(slow_updates.applied) == len(fake_slack.calls("chat.update"))
        ),
    )


def test_a_change_made_while_the_headline_is_posted_is_shown_after_the_post(
    fake_slack, two_workers, slow_updates
):
    fake_slack.queue("chat.postMessage", delay=POST_SECONDS)
    incident = declare()
    [post] = fake_slack.wait_for_calls("chat.postMessage", 1)
    change(incident, 1)  # while the post waits for Slack, a worker is free for the update

    wait_until("the headline is stored", lambda: stored_headline_ts(incident.pk))
    # The update waiting behind the post runs as soon as the post is done.
    fake_slack.wait_for_calls("chat.update", 1, timeout=5)
    wait_until_settled(fake_slack, slow_updates)

    ts = stored_headline_ts(incident.pk)
    assert post.params["text"].endswith(step(0))
    updates = fake_slack.calls("chat.update")
    assert slow_updates.applied, (
        "the change made while the headline was being posted never reached it: its update ran "
        "before the post was stored"
    )
    assert {update.params["ts"] for update in updates} == {ts}
    assert all(update.at >= post.at + POST_SECONDS for update in updates), (
        "an update reached Slack before the post was answered"
    )
    assert slow_updates.applied[-1] == 1


def test_updates_never_go_back_and_changes_waiting_behind_one_coalesce(
    fake_slack, two_workers, slow_updates
):
    incident = declare()
    wait_until("the headline is posted", lambda: stored_headline_ts(incident.pk))
    change(incident, 1)
    fake_slack.wait_for_calls("chat.update", 1)  # its answer takes SLOW_UPDATE_SECONDS

    changes = range(2, 10)  # made while the first update waits for Slack; two workers are free
    for number in changes:
        change(incident, number)
    wait_until_settled(fake_slack, slow_updates)

    latest = changes[-1]
    sent = [step_of(update.params["text"]) for update in fake_slack.calls("chat.update")]
    assert sent == sorted(sent), f"an older state was sent after a newer one: {sent}"
    assert slow_updates.applied == sorted(slow_updates.applied), (
        f"an older update landed after a newer one: {slow_updates.applied}"
    )
    assert slow_updates.applied[-1] == latest, (
        f"the headline shows step {slow_updates.applied[-1]}, not the latest ({latest})"
    )
    made = 1 + len(changes)
    assert len(sent) <= 3 and len(sent) < made, (
        f"{made} changes made {len(sent)} updates: the changes waiting behind the slow update "
        f"did not coalesce ({sent})"
    )
