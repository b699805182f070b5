"""Delivery ids are kept long enough to recognise Slack's retries, then forgotten."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app

from slack.incoming.dedup import prune_processed_events
from slack.models import ProcessedEvent


@pytest.mark.django_db
def test_old_event_ids_are_forgotten_and_recent_ones_kept():
    now = timezone.now()
    ProcessedEvent.objects.create(event_id="EvOLD", received_at=now - dt.timedelta(days=2))
    ProcessedEvent.objects.create(event_id="EvRECENT", received_at=now - dt.timedelta(minutes=5))

    removed = prune_processed_events(timestamp=int(time.time()))

    assert removed == 1
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == ["EvRECENT"]


def test_the_worker_runs_it_every_hour():
    periodic = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "slack.prune_processed_events"
    ]

    assert [task.cron for task in periodic] == ["23 * * * *"]
