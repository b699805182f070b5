"""A worker killed in the middle of a job: the job runs again, and what it had already done in
Slack is not done twice."""

from __future__ import annotations

import signal
import time

import pytest
from django.db import connection, transaction
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from slack.delivery import housekeeping
from slack.delivery.outbox import post_in_channel
from slack.flows.headline.jobs import update_headline
from slack.incoming.dispatch import process_event
from tests.slack.channel_helpers import channel_posts, incident_with_channel, mention
from tests.slack.slack_history import ChannelHistory
from tests.worker_process import PATIENCE_SECONDS, start_worker, stop_worker, wait_for


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

    assert ProcrastinateJob.objects.get(task_name="slack.post_message").id in requeued
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


def test_a_worker_whose_database_connections_were_cut_still_finishes_its_jobs(
    fake_slack, jobs, tmp_path
):
    history = ChannelHistory(fake_slack)
    logs = iter(tmp_path / f"worker-{n}.log" for n in range(1, 10))
    log = next(logs)
    worker = start_worker(log, SLACK_API_BASE_URL=fake_slack.base_url)
    try:
        with transaction.atomic():
            post_in_channel("C0COMMS", "before")
        wait_for("the first post", lambda: history.posted("C0COMMS"), worker)

        # What a database restart or an administrator does to every connection but ours.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with transaction.atomic():
            post_in_channel("C0COMMS", "after")
        deadline = time.monotonic() + PATIENCE_SECONDS
        while len(history.posted("C0COMMS")) < 2:
            assert time.monotonic() < deadline, "the job after the cut never finished"
            if worker.poll() is not None:
                # The worker may stop when its own bookkeeping loses the database, by design;
                # production restarts it (restart: unless-stopped), and so does this test.
                stop_worker(worker, log)
                log = next(logs)
                worker = start_worker(log, SLACK_API_BASE_URL=fake_slack.base_url)
            time.sleep(0.1)
    finally:
        stop_worker(worker, log)

    assert [m["text"] for m in history.posted("C0COMMS")] == ["before", "after"]


def mark_running_since(job_id: int, minutes: int) -> None:
    """The job as a live worker leaves it when it cannot record the end: "doing", started long
    ago, by a worker whose heartbeat is fresh."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) RETURNING id"
        )
        worker_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
            [worker_id, job_id],
        )
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(mins => %s) "
            "WHERE job_id = %s AND type = 'started'",
            [minutes, job_id],
        )


def test_a_job_a_live_worker_never_recorded_as_finished_runs_again(fake_slack, jobs, settings):
    settings.JOB_STUCK_AFTER_SECONDS = 300
    history = ChannelHistory(fake_slack)
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")
    job_id = ProcrastinateJob.objects.get(task_name="slack.post_message").id
    mark_running_since(job_id, minutes=6)

    assert housekeeping.requeue_stalled_jobs(timestamp=int(time.time())) == [job_id]
    jobs()

    assert [m["text"] for m in history.posted("C0COMMS")] == ["Lead is now Alice"]


def test_a_job_running_for_less_than_the_limit_is_left_alone(fake_slack, jobs, settings):
    settings.JOB_STUCK_AFTER_SECONDS = 300
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")
    mark_running_since(ProcrastinateJob.objects.get().id, minutes=4)

    assert housekeeping.requeue_stalled_jobs(timestamp=int(time.time())) == []


def test_an_event_handled_once_is_not_handled_again_when_its_job_runs_again(
    client, fake_slack, jobs
):
    incident_with_channel()
    envelope = mention(client, "summary Card payments fail")
    jobs()
    # The same job run again, as after a worker that could not record that it finished.
    process_event.defer(envelope=envelope)
    jobs()

    assert (
        channel_posts(fake_slack).count("*The summary has been updated to:*\nCard payments fail")
        == 1
    )


def test_a_stalled_job_superseded_by_a_waiting_one_is_closed_and_the_rest_requeued(jobs):
    def stalled(job) -> int:
        job_id = job.defer(incident_id=1)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", [job_id])
        return job_id

    headline_update = update_headline.configure(queueing_lock="headline-1")
    superseded = stalled(headline_update)
    waiting = headline_update.defer(incident_id=1)  # the same work, queued after it
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")
    post = ProcrastinateJob.objects.get(task_name="slack.post_message").id
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", [post])

    assert housekeeping.requeue_stalled_jobs(timestamp=int(time.time())) == [post]
    assert ProcrastinateJob.objects.get(id=superseded).status == "failed"
    assert ProcrastinateJob.objects.get(id=waiting).status == "todo"
