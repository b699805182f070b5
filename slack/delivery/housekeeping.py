"""Periodic clean-up, run by the job worker (procrastinate's periodic tasks; no cron needed)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from procrastinate import sql
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.exceptions import ConnectorException, UniqueViolation

from core import services as core_services
from slack.delivery.jobs import job
from slack.delivery.models import FailedAttempt

logger = logging.getLogger(__name__)

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


@app.periodic(cron="*/5 * * * *", periodic_id="fold-incident-tallies")
@job("slack.fold_incident_tallies", retry=False)
def fold_incident_tallies(timestamp: int) -> int:
    """Fold the incident tallies the lists count from; returns the rows left (one per kind of
    incident). Missing a fold costs nothing but a few more rows to add up."""
    return core_services.incident_tally_fold()


# A worker updates its heartbeat every 10 s; one silent for longer than this has died (killed,
# out of memory, its machine gone) and the jobs it was running will never finish by themselves.
STALLED_WORKER_SECONDS = 30


@app.periodic(cron="* * * * * */15", periodic_id="requeue-stalled-jobs")
@job("slack.requeue_stalled_jobs")
def requeue_stalled_jobs(timestamp: int) -> list[int]:
    """Run again the jobs left half-done; returns their ids.

    Two ways a job is left "doing" for good: its worker died, or its worker could not record
    that it finished (the database connection was cut at that moment) and went on to the next.
    Their side effects in Slack are looked for before being repeated (``idempotency``).
    """
    connector = app.job_manager.connector.get_sync_connector()
    rows = connector.execute_query_all(
        query=sql.queries["select_stalled_jobs_by_heartbeat"],
        queue=None,
        task_name=None,
        seconds_since_heartbeat=STALLED_WORKER_SECONDS,
    )
    stalled = {row["id"]: row["task_name"] for row in rows}
    stalled.update(_stuck_jobs(settings.JOB_STUCK_AFTER_SECONDS))
    requeued = []
    for job_id, task_name in sorted(stalled.items()):
        # One at a time, in a transaction each: one that cannot be requeued stops no other.
        try:
            with transaction.atomic():
                app.job_manager.retry_job_by_id(job_id=job_id, retry_at=timezone.now())
        except UniqueViolation:
            _supersede(connector, job_id, task_name)
            continue
        except (ConnectorException, DatabaseError) as error:  # it finished meanwhile
            logger.info("job %s was not requeued: %s", job_id, error)
            continue
        requeued.append(job_id)
        logger.warning("requeued job %s (%s), left unfinished", job_id, task_name)
    return requeued


def _supersede(connector: Any, job_id: int, task_name: str) -> None:
    """A newer job with the same queueing lock is waiting and will do the same work (a headline
    update renders the incident as it is then): this one is closed as failed, not run twice."""
    with transaction.atomic():
        connector.execute_query(
            query=sql.queries["finish_job"], job_id=job_id, status="failed", delete_job=False
        )
    logger.warning("job %s (%s), left unfinished, is superseded by a newer one", job_id, task_name)


def _stuck_jobs(seconds: float) -> dict[int, str]:
    """Jobs "doing" for longer than any job of ours takes, even on a live worker."""
    started = Max("procrastinateevent__at", filter=Q(procrastinateevent__type="started"))
    stuck = (
        ProcrastinateJob.objects.filter(status="doing")
        .annotate(started_at=started)
        .filter(started_at__lt=timezone.now() - dt.timedelta(seconds=seconds))
    )
    return dict(stuck.values_list("id", "task_name"))
