"""The job queue: jobs live and die with the transaction that deferred them, and are retried."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from slack import registry
from slack.incoming.dispatch import process_event
from slack.models import CommsChannel
from tests.helpers import load_fixture, post_event


class Rollback(Exception):
    pass


def event_job() -> ProcrastinateJob:
    return ProcrastinateJob.objects.get(task_name="slack.process_event")


@pytest.fixture
def pin_calls():
    calls: list[str] = []

    def record(incident, event):
        calls.append(event["event_ts"])

    registry.event_handlers.register("pin_added", record)
    yield calls
    registry.event_handlers.unregister("pin_added", record)


@pytest.fixture
def comms_channel(transactional_db):
    incident = services.incident_declare(title="Database is slow", reporter=None)
    return CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1")


def test_a_job_deferred_in_a_rolled_back_transaction_never_runs(comms_channel, pin_calls, jobs):
    with pytest.raises(Rollback), transaction.atomic():
        process_event.defer(envelope=load_fixture("event_pin_added"))
        raise Rollback

    jobs()

    assert ProcrastinateJob.objects.count() == 0
    assert pin_calls == []


def test_a_job_deferred_in_a_committed_transaction_runs_once(comms_channel, pin_calls, jobs):
    with transaction.atomic():
        process_event.defer(envelope=load_fixture("event_pin_added"))

    jobs()
    jobs()

    assert pin_calls == ["1700000100.000300"]
    assert event_job().status == "succeeded"


def test_a_job_that_raises_is_retried_with_backoff(client, comms_channel, jobs):
    attempts: list[float] = []

    def flaky(incident, event):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise ConnectionError("Slack did not answer")

    registry.event_handlers.register("pin_added", flaky)
    try:
        post_event(client, load_fixture("event_pin_added"))
        jobs()
        job = event_job()
        assert (job.status, job.attempts) == ("todo", 1)
        assert job.scheduled_at > timezone.now()  # backoff: not retried at once

        time.sleep(max((job.scheduled_at - timezone.now()).total_seconds(), 0) + 0.2)
        jobs()
    finally:
        registry.event_handlers.unregister("pin_added", flaky)

    assert len(attempts) == 2
    assert event_job().status == "succeeded"
