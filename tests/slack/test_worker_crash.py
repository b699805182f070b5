"""A worker killed in the middle of a job: the job runs again, and what it had already done in
Slack is not done twice."""

from __future__ import annotations

import signal
import time

import pytest
from django.db import transaction
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from slack import housekeeping
from slack.outbox import post_in_channel
from tests.slack.slack_history import ChannelHistory
from tests.worker_process import start_worker, stop_worker, wait_for


@pytest.fixture
def worker_log(tmp_path):
    return tmp_path / "worker.log"


def test_a_job_a_killed_worker_left_half_done_runs_again_and_posts_once(
    fake_slack, jobs, worker_log, monkeypatch
):
    # Slack stores the post but the worker is killed before the answer comes back.
    history = ChannelHistory(fake_slack, slow_answers=1, answer_after=5)
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")
    worker = start_worker(worker_log, SLACK_API_BASE_URL=fake_slack.base_url)
    try:
        wait_for("posting", lambda: history.posted("C0COMMS"), worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        stop_worker(worker, worker_log)
    assert ProcrastinateJob.objects.get(task_name="slack.post_message").status == "doing"

    # The dead worker's heartbeat is still recent; the threshold is shortened, not waited out.
    monkeypatch.setattr(housekeeping, "STALLED_WORKER_SECONDS", 0)
    requeued = housekeeping.requeue_stalled_jobs(timestamp=int(time.time()))
    jobs()

    assert len(requeued) == 1
    assert [m["text"] for m in history.posted("C0COMMS")] == ["Lead is now Alice"]
    assert ProcrastinateJob.objects.get(task_name="slack.post_message").status == "succeeded"


def test_a_job_waiting_its_turn_is_left_alone(jobs):
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")

    assert housekeeping.requeue_stalled_jobs(timestamp=int(time.time())) == []


def test_stalled_jobs_are_looked_for_every_15_seconds():
    periodic = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "slack.requeue_stalled_jobs"
    ]

    assert [task.cron for task in periodic] == ["* * * * * */15"]
