"""How long a failed job waits before its next attempt."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from slack.delivery.jobs import RETRY
from slack.web_api.errors import RateLimited, SlackConnectionError


def seconds(exception: Exception, attempts: int) -> int:
    """How many seconds from now the next attempt is scheduled."""
    decision = RETRY.get_retry_decision(exception=exception, job=SimpleNamespace(attempts=attempts))
    return round((decision.retry_at - dt.datetime.now(dt.UTC)).total_seconds())


def test_failures_back_off_exponentially():
    assert [seconds(SlackConnectionError("down"), n) for n in range(4)] == [2, 4, 8, 16]


def test_a_rate_limited_job_waits_as_long_as_slack_asked():
    assert seconds(RateLimited(retry_after=30), 0) == 30
    assert seconds(RateLimited(retry_after=1), 3) == 16  # never sooner than the backoff


def test_a_job_gives_up_after_eight_attempts():
    assert (
        RETRY.get_retry_decision(
            exception=RateLimited(retry_after=1), job=SimpleNamespace(attempts=8)
        )
        is None
    )
