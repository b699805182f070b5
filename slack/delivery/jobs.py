"""Declaring background jobs (procrastinate) the same way everywhere.

Every job is retried with exponential backoff (2, 4, 8 … seconds) and releases its database
connection when it ends, because workers run synchronous jobs in threads of their own.

A job deferred on someone's behalf (a Slack user's click, a person in the browser) carries who
was acting (``core.access.current()``) in its arguments, and runs as them in the worker: what it
changes is theirs, and what they may not do is refused there too. A refusal is not retried.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.retry import BaseRetryStrategy, RetryDecision, RetryValue, get_retry_strategy

from core.access import Acting, PermissionRefused, Via, acting_as, current
from core.models import ExternalUser
from response import metrics
from response.log_context import log_context
from slack.delivery.failed_attempts import record_failure
from slack.web_api.client import get_slack_client
from slack.web_api.errors import RateLimited, SlackError

logger = logging.getLogger(__name__)

QUEUE = "slack"
# Jobs with a higher priority run first when the worker has a backlog. The headline is how
# everyone learns of an incident, so it goes ahead of replies, reminders and housekeeping.
HEADLINE_PRIORITY = 10
# The job argument that says who deferred it; absent when the system did.
ACTING_ARGUMENT = "acting"


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
            acting = acting_from(kwargs.pop(ACTING_ARGUMENT, None))
            try:
                with (
                    log_context(
                        job_id=running and running.id, incident_id=kwargs.get("incident_id")
                    ),
                    metrics.observe_job(
                        name, will_retry=functools.partial(_will_retry, running, strategy)
                    ),
                    acting_as(acting),
                ):
                    return func(*args, **kwargs)
            except PermissionRefused as refusal:
                # Running it again changes nothing: they still may not.
                logger.info("job %s refused to %s: %s", name, acting.name, refusal.permission)
                _tell_refusal(acting, refusal)
                return None
            except Exception as error:
                if running is not None:
                    _record_failure(running, name, error, strategy)
                raise
            finally:
                _release_stale_connections()
                _running.reset(token)

        task = app.task(name=name, queue=queue, retry=retry, pass_context=True, **options)(run)
        _carry_acting(task)
        return task

    return decorate


def _carry_acting(task: Any) -> None:
    """Make every ``defer`` of ``task`` (``configure().defer`` included) carry who is acting."""
    configure = task.configure

    def configure_carrying_acting(**options: Any) -> Any:
        carried = acting_argument(current())
        if carried:
            options["task_kwargs"] = {**carried, **(options.get("task_kwargs") or {})}
        return configure(**options)

    task.configure = configure_carrying_acting


def acting_argument(acting: Acting) -> dict[str, Any]:
    """Who is acting, as a job argument: ids, read again when the job runs."""
    if acting.is_system:
        return {}
    return {
        ACTING_ARGUMENT: {
            "via": str(acting.via),
            "person": acting.person.pk if acting.person is not None else None,
            "slack_user": acting.slack_user.pk if acting.slack_user is not None else None,
        }
    }


def acting_from(argument: dict[str, Any] | None) -> Acting:
    """The actor a job argument names (the system when none, or when they are gone)."""
    if not argument:
        return Acting()
    slack_user = (
        ExternalUser.objects.select_related("owner").filter(pk=argument["slack_user"]).first()
        if argument.get("slack_user")
        else None
    )
    person = slack_user.owner if slack_user is not None else None
    if argument.get("person") and (person is None or person.pk != argument["person"]):
        person = get_user_model().objects.filter(pk=argument["person"]).first()
    return Acting(via=Via(argument.get("via", Via.SYSTEM)), person=person, slack_user=slack_user)


def _tell_refusal(acting: Acting, refusal: PermissionRefused) -> None:
    # The job has no channel of its own: the refusal goes to the Slack user by DM, now (a job
    # deferred for it would be one more thing to lose if the worker stopped here).
    if acting.slack_user is None:
        return
    try:
        get_slack_client().post_message(channel=acting.slack_user.external_id, text=str(refusal))
    except SlackError as error:
        logger.warning("could not tell %s of a refusal: %s", acting.name, error)


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
