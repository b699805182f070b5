"""How long a failed job waits before its next attempt."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from slack.delivery.jobs import RETRY
from slack.flows.comms_channel.jobs import CREATE_RETRY, NoFreeChannelName
from slack.web_api.errors import RateLimited, SlackConnectionError


def seconds(exception: Exception, attempts: int, retry=RETRY) -> int:
    """How many seconds from now the next attempt is scheduled."""
    decision = retry.get_retry_decision(exception=exception, job=SimpleNamespace(attempts=attempts))
    return round((decision.retry_at - dt.datetime.now(dt.UTC)).total_seconds())


def test_failures_back_off_exponentially():
    assert [seconds(SlackConnectionError("down"), n) for n in range(4)] == [2, 4, 8, 16]


@pytest.mark.parametrize("retry", [RETRY, CREATE_RETRY], ids=["every job", "channel creation"])
def test_a_rate_limited_job_waits_as_long_as_slack_asked(retry):
    assert seconds(RateLimited(retry_after=30), 0, retry) == 30
    assert seconds(RateLimited(retry_after=1), 3, retry) == 16  # never sooner than the backoff


def test_channel_creation_gives_up_at_once_when_every_name_is_taken():
    job = SimpleNamespace(attempts=0)
    assert CREATE_RETRY.get_retry_decision(exception=NoFreeChannelName(), job=job) is None


def test_a_job_gives_up_after_eight_attempts():
    assert (
        RETRY.get_retry_decision(
            exception=RateLimited(retry_after=1), job=SimpleNamespace(attempts=8)
        )
        is None
    )
