"""Declaring background jobs (procrastinate) the same way everywhere.

Every job is retried with exponential backoff (2, 4, 8 … seconds) and releases its database
connection when it ends, because workers run synchronous jobs in threads of their own.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import close_old_connections, connection
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.retry import BaseRetryStrategy, RetryDecision, RetryValue, get_retry_strategy

from response import metrics
from response.log_context import log_context
from slack.delivery.failed_attempts import record_failure
from slack.web_api.errors import RateLimited

QUEUE = "slack"
# Jobs with a higher priority run first when the worker has a backlog. The headline is how
# everyone learns of an incident, so it goes ahead of replies, reminders and housekeeping.
HEADLINE_PRIORITY = 10


class SlackAwareRetry(RetryStrategy):
    """Exponential backoff, except that a rate-limited job waits at least as long as Slack said.

    Retrying sooner than ``Retry-After`` only earns another 429.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        decision = super().get_retry_decision(exception=exception, job=job)
        retry_after = getattr(exception, "retry_after", None)
        if decision is None or not isinstance(exception, RateLimited) or not retry_after:
            return decision
        backoff = self.exponential_wait ** (job.attempts + 1)
        return RetryDecision(retry_in={"seconds": max(int(retry_after), backoff)})


RETRY = SlackAwareRetry(max_attempts=8, exponential_wait=2)


@dataclass(frozen=True)
class RunningJob:
    """The job the current thread is running: its id, and how many attempts came before."""

    id: int
    attempts: int

    @property
    def key(self) -> str:
        """Stable across the job's attempts: what marks the side effects of this job in Slack."""
        return f"job-{self.id}"

    @property
    def may_have_run_before(self) -> bool:
        """An earlier attempt started, and may have reached Slack before it failed or died."""
        return self.attempts > 0


_running: contextvars.ContextVar[RunningJob | None] = contextvars.ContextVar(
    "running_job", default=None
)


def running_job() -> RunningJob | None:
    """The job being run here, or None when the code was called directly (tests, a shell)."""
    return _running.get()


def job(name: str, *, queue: str = QUEUE, retry: RetryValue = RETRY, **options: Any):
    """Register ``func`` as a procrastinate task called ``name``; defer it with ``.defer(...)``.

    ``.defer`` runs on Django's connection, so a job deferred inside ``transaction.atomic`` is
    committed (or rolled back) with the change that needed it. While it runs, ``running_job()``
    says which job and attempt this is.
    """

    strategy = get_retry_strategy(retry)

    def decorate(func: Callable[..., Any]):
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            # The worker passes its context first; a direct call (a test, a shell) does not.
            context = args[0] if args and isinstance(args[0], JobContext) else None
            if context is not None:
                args = args[1:]
            running = _running_from(context)
            token = _running.set(running)
            _release_stale_connections()
            try:
                with (
                    log_context(
                        job_id=running and running.id, incident_id=kwargs.get("incident_id")
                    ),
                    metrics.observe_job(
                        name, will_retry=functools.partial(_will_retry, running, strategy)
                    ),
                ):
                    return func(*args, **kwargs)
            except Exception as error:
                if running is not None:
                    _record_failure(running, name, error, strategy)
                raise
            finally:
                _release_stale_connections()
                _running.reset(token)

        return app.task(name=name, queue=queue, retry=retry, pass_context=True, **options)(run)

    return decorate


def _record_failure(
    running: RunningJob, name: str, error: Exception, strategy: BaseRetryStrategy | None
) -> None:
    record_failure(
        job_id=running.id,
        task_name=name,
        attempts_before=running.attempts,
        error=error,
        retry=strategy,
    )


def _will_retry(
    running: RunningJob | None, strategy: BaseRetryStrategy | None, error: Exception
) -> bool:
    """Whether the worker runs this job again after ``error`` (as the failure record says)."""
    if running is None or strategy is None:
        return False  # called directly: nobody runs it again
    job: Any = SimpleNamespace(attempts=running.attempts)
    return strategy.get_retry_decision(exception=error, job=job) is not None


def _running_from(context: JobContext | None) -> RunningJob | None:
    job_info = context.job if context is not None else None
    if job_info is None or job_info.id is None:
        return None
    return RunningJob(id=job_info.id, attempts=job_info.attempts)


def _release_stale_connections() -> None:
    # Only between transactions: called inside one (a job run inline by a caller that holds a
    # transaction), Django would take the open transaction for a broken connection and close it.
    if not connection.in_atomic_block:
        close_old_connections()
