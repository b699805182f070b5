"""Periodic clean-up, run by the job worker (procrastinate's periodic tasks; no cron needed)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from procrastinate.contrib.django import app

from slack.jobs import job
from slack.models import ProcessedEvent

logger = logging.getLogger(__name__)

# Slack retries an event for about five minutes; a day of ids is plenty to recognise a retry.
KEEP_EVENT_IDS_FOR = dt.timedelta(days=1)


@app.periodic(cron="23 * * * *", periodic_id="prune-processed-events")
@job("slack.prune_processed_events")
def prune_processed_events(timestamp: int) -> int:
    """Forget delivery ids older than a day; returns how many were removed."""
    removed, _ = ProcessedEvent.objects.filter(
        received_at__lt=timezone.now() - KEEP_EVENT_IDS_FOR
    ).delete()
    logger.info("forgot %s processed Slack event ids", removed)
    return removed
