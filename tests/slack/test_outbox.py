"""Posts Response promised: kept in order per channel, retried only when a retry can help."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from slack.delivery.outbox import post_in_channel


def posted_texts(fake_slack, channel: str) -> list[str]:
    return [
        c.params["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == channel
    ]


def test_a_channels_posts_keep_their_order_when_jobs_run_concurrently(fake_slack, jobs):
    stored: list[str] = []

    def slow_first_post(params):
        # Slack shows messages in the order it stores them; the first one takes a while.
        if params["text"] == "reply 0":
            time.sleep(0.5)
        stored.append(params["text"])
        return {"ok": True, "channel": params["channel"], "ts": f"{time.time():.6f}"}

    fake_slack.on("chat.postMessage", slow_first_post)
    with transaction.atomic():
        for number in range(4):
            post_in_channel("C0ORDER", f"reply {number}")

    jobs(concurrency=4)

    assert stored == [f"reply {n}" for n in range(4)]


def test_posts_in_different_channels_do_not_wait_for_each_other(fake_slack, jobs):
    stored: list[str] = []
    fast_stored = threading.Event()

    def slow_until_the_other_is_stored(params):
        if params["text"] == "slow":
            fast_stored.wait(timeout=3)
        stored.append(params["text"])
        if params["text"] == "fast":
            fast_stored.set()
        return {"ok": True, "channel": params["channel"], "ts": f"{time.time():.6f}"}

    fake_slack.on("chat.postMessage", slow_until_the_other_is_stored)
    with transaction.atomic():
        post_in_channel("C0SLOW", "slow")
        post_in_channel("C0FAST", "fast")

    jobs(concurrency=2)

    assert stored == ["fast", "slow"]


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found", "msg_too_long"])
def test_a_post_slack_refuses_for_good_is_not_retried(fake_slack, jobs, error):
    fake_slack.queue_error("chat.postMessage", error)
    with transaction.atomic():
        post_in_channel("C0GONE", "hello")

    jobs()

    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert ProcrastinateJob.objects.get(task_name="slack.post_message").status == "succeeded"


def test_a_post_slack_could_not_take_is_retried(fake_slack, jobs):
    fake_slack.queue_error("chat.postMessage", "internal_error")
    with transaction.atomic():
        post_in_channel("C0BUSY", "hello")

    jobs()

    job = ProcrastinateJob.objects.get(task_name="slack.post_message")
    assert job.status == "todo"
    assert job.attempts == 1
