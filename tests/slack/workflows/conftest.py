from __future__ import annotations

import pytest

from tests.slack.workflows.fake_pagerduty import FakePagerDuty


@pytest.fixture
def pagerduty(settings):
    """A stand-in PagerDuty Events API, with Response pointed at it."""
    with FakePagerDuty() as fake:
        settings.PAGERDUTY_EVENTS_URL = fake.url
        yield fake
