"""Failed deliveries are written down, with Slack's error and the next attempt, for the admin."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from slack.delivery.housekeeping import prune_failed_attempts
from slack.delivery.outbox import post_in_channel
from slack.models import FailedAttempt
from tests.helpers import make_retries_due


def promise_a_post() -> None:
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")


def test_a_rate_limited_post_is_recorded_with_its_next_attempt(fake_slack, jobs):
    fake_slack.rate_limit("chat.postMessage", retry_after=30)
    promise_a_post()

    jobs()

    [failure] = FailedAttempt.objects.all()
    assert (failure.task_name, failure.attempt) == ("slack.post_message", 1)
    assert (failure.slack_method, failure.error_code) == ("chat.postMessage", "ratelimited")
    assert (failure.next_attempt_at - failure.failed_at).total_seconds() >= 29


def test_a_post_that_succeeds_leaves_nothing_to_watch(fake_slack, jobs):
    promise_a_post()

    jobs()

    assert not FailedAttempt.objects.exists()


def test_a_job_that_gives_up_says_so(fake_slack, jobs):
    fake_slack.on("chat.postMessage", lambda params: {"ok": False, "error": "internal_error"})
    promise_a_post()

    for _ in range(10):
        jobs()
        make_retries_due()

    attempts = list(FailedAttempt.objects.order_by("attempt"))
    assert [a.attempt for a in attempts] == list(range(1, 10))  # the first and eight retries
    assert all(a.next_attempt_at for a in attempts[:-1])
    assert attempts[-1].next_attempt_at is None


def test_the_admin_lists_failures_with_the_jobs_state_now(admin_client, fake_slack, jobs):
    fake_slack.queue_error("chat.postMessage", "internal_error")
    promise_a_post()
    jobs()
    make_retries_due()
    jobs()

    page = admin_client.get(reverse("admin:slack_failedattempt_changelist"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "internal_error" in text
    assert "chat.postMessage" in text
    assert "succeeded" in text  # the retry went through


def test_failures_older_than_two_weeks_are_forgotten(db):
    _, recent = (
        FailedAttempt.objects.create(
            job_id=number,
            task_name="slack.post_message",
            attempt=1,
            error_code="internal_error",
            failed_at=timezone.now() - dt.timedelta(days=days),
        )
        for number, days in ((1, 15), (2, 13))
    )

    assert prune_failed_attempts(timestamp=int(time.time())) == 1
    assert list(FailedAttempt.objects.all()) == [recent]
