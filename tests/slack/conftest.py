from __future__ import annotations

from collections.abc import Iterator

import pytest

from slack.client import reset_caches
from tests.slack.fake_slack import FakeSlack


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    """One stand-in Slack for the whole run; ``fake_slack`` wipes it between tests."""
    with FakeSlack() as server:
        yield server


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack, settings) -> Iterator[FakeSlack]:
    """The stand-in Slack, empty, with the Web API client pointed at it."""
    fake_slack_server.reset()
    settings.SLACK_API_BASE_URL = fake_slack_server.base_url
    settings.SLACK_TOKEN = "xoxb-test-token"
    reset_caches()
    yield fake_slack_server
    reset_caches()
    fake_slack_server.reset()
