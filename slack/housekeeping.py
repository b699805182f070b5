"""Periodic clean-up, run by the job worker (procrastinate's periodic tasks; no cron needed)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError
from django.utils import timezone
from procrastinate import sql
from procrastinate.contrib.django import app

from slack.jobs import job
from slack.models import FailedAttempt, ProcessedEvent

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


# Long enough to look into last week's trouble; the admin shows them until then.
KEEP_FAILED_ATTEMPTS_FOR = dt.timedelta(days=14)


@app.periodic(cron="47 * * * *", periodic_id="prune-failed-attempts")
@job("slack.prune_failed_attempts")
def prune_failed_attempts(timestamp: int) -> int:
    """Forget failed attempts older than two weeks; returns how many were removed."""
    removed, _ = FailedAttempt.objects.filter(
        failed_at__lt=timezone.now() - KEEP_FAILED_ATTEMPTS_FOR
    ).delete()
    return removed


# A worker updates its heartbeat every 10 s; one silent for longer than this has died (killed,
# out of memory, its machine gone) and the jobs it was running will never finish by themselves.
STALLED_WORKER_SECONDS = 30


@app.periodic(cron="* * * * * */15", periodic_id="requeue-stalled-jobs")
@job("slack.requeue_stalled_jobs")
def requeue_stalled_jobs(timestamp: int) -> list[int]:
    """Run again the jobs a dead worker left half-done; returns their ids.

    Their side effects in Slack are looked for before being repeated (slack/idempotency.py).
    """
    connector = app.job_manager.connector.get_sync_connector()
    stalled = connector.execute_query_all(
        query=sql.queries["select_stalled_jobs_by_heartbeat"],
        queue=None,
        task_name=None,
        seconds_since_heartbeat=STALLED_WORKER_SECONDS,
    )
    requeued = []
    for row in stalled:
        try:
            app.job_manager.retry_job_by_id(job_id=row["id"], retry_at=timezone.now())
        except DatabaseError as error:  # it finished meanwhile: nothing to do
            logger.info("job %s was not requeued: %s", row["id"], error)
            continue
        requeued.append(row["id"])
        logger.warning(
            "requeued job %s (%s) left running by a dead worker", row["id"], row["task_name"]
        )
    return requeued
