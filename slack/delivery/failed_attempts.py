"""The record of job attempts that failed, shown in the admin as Slack deliveries to watch.

A job that fails is retried later (``slack.delivery.jobs``); until it succeeds nobody would know
why it is late. Each failed attempt is written down with Slack's error and when the next attempt
is due, or that the job gave up.
"""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace
from typing import Any

from django.db import DatabaseError, connection
from procrastinate.retry import BaseRetryStrategy

from slack.delivery.models import FailedAttempt
from slack.web_api.errors import SlackError

logger = logging.getLogger(__name__)


def record_failure(
    *,
    job_id: int,
    task_name: str,
    attempts_before: int,
    error: BaseException,
    retry: BaseRetryStrategy | None,
) -> None:
    """Write down one failed attempt. Never raises: the job's own failure is what matters."""
    if connection.in_atomic_block:
        return  # run inline inside someone's transaction (a shell, a test): nothing to record
    slack_error = error if isinstance(error, SlackError) else None
    try:
        FailedAttempt.objects.create(
            job_id=job_id,
            task_name=task_name,
            attempt=attempts_before + 1,
            slack_method=(slack_error.method or "") if slack_error else "",
            error_code=slack_error.code if slack_error else type(error).__name__,
            message=str(error)[:2000],
            next_attempt_at=_next_attempt(retry, error, attempts_before),
        )
    except DatabaseError as db_error:
        # The failure may be the database itself; the job's retry does not depend on this row.
        logger.warning("could not record the failure of job %s: %s", job_id, db_error)


def _next_attempt(
    retry: BaseRetryStrategy | None, error: BaseException, attempts_before: int
) -> dt.datetime | None:
    if retry is None or not isinstance(error, Exception):
        return None
    job: Any = SimpleNamespace(attempts=attempts_before)
    decision = retry.get_retry_decision(exception=error, job=job)
    return decision.retry_at if decision is not None else None
