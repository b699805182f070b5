"""The insights page in a real browser (Debian's Chromium, Playwright, a live server): both charts
are drawn from our own static files under the strict Content-Security-Policy, the figures link to
the incidents behind them, and an empty period says so. Screenshots go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core import services
from core.lifecycle.milestones import MilestoneKind as M
from core.lifecycle.statuses import IncidentStatus as S
from core.models import Severity
from tests.e2e.chromium import SCREENSHOTS
from tests.ui import builders

pytestmark = pytest.mark.django_db(transaction=True)


class Watched:
    """A page and the errors it logged (a CSP violation is logged as a console error)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def watched(browser: Browser, live_server) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    client = Client()
    client.force_login(builders.login_user())
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    yield Watched(page)
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def resolved_incident(started: dt.datetime, severity: Severity, scale: int) -> None:
    """A resolved incident with every milestone, ``scale`` minutes apart."""
    incident = services.incident_declare(
        title=f"Outage {started:%b %d}",
        reporter=None,
        severity=severity,
        report_time=started + dt.timedelta(minutes=2 * scale),
    )
    services.milestone_set(incident=incident, kind=M.STARTED, time=started)
    for kind, steps in ((M.DETECTED, 1), (M.ACKNOWLEDGED, 3), (M.MITIGATED, 6)):
        services.milestone_set(
            incident=incident, kind=kind, time=started + dt.timedelta(minutes=steps * scale)
        )
    services.incident_status_set(incident=incident, status=S.RESOLVED)
    services.milestone_set(
        incident=incident, kind=M.RESOLVED, time=started + dt.timedelta(minutes=10 * scale)
    )


@pytest.fixture
def history():
    """A dozen incidents over the last five months, of every severity."""
    now = timezone.now()
    for n in range(12):
        started = now - dt.timedelta(days=12 * n + 3, hours=n)
        resolved_incident(started, Severity(1 + n % 4), scale=3 + 2 * n)


def test_the_charts_are_drawn_and_each_figure_leads_to_its_incidents(live_server, watched, history):
    page = watched.page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights")).to_be_visible()
    expect(page.get_by_test_id("insights-total")).to_have_text("12")
    expect(page.get_by_test_id("definitions")).to_contain_text(
        "Time to acknowledge = acknowledged \N{MINUS SIGN} declared"
    )
    for chart in ("chart-by-month", "chart-by-severity"):
        canvas = page.get_by_test_id(chart)
        # insights.js marks the canvas once Chart.js has drawn its four series on it.
        expect(canvas).to_have_attribute("data-drawn", "4")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
        assert _painted_pixels(page, chart) > 500, f"{chart} is blank"
    shot(page, "insights-01-charts")

    critical = page.get_by_test_id("by-severity").locator('[data-key="1"]')
    critical.get_by_test_id("figure").first.get_by_role("link").click()
    expect(page.get_by_test_id("behind-title")).to_have_text("Time to detect: Critical")
    rows = page.get_by_test_id("behind-row")
    expect(rows).to_have_count(3)
    shot(page, "insights-02-behind-a-figure")
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("incident-title")).to_be_visible()
    assert watched.errors == []


def test_an_empty_period_says_so(live_server, watched):
    page = watched.page
    page.goto(live_server.url + "/insights/")
    expect(page.get_by_test_id("insights-empty")).to_contain_text(
        "No incidents count in this period"
    )
    expect(page.locator("canvas")).to_have_count(0)
    shot(page, "insights-03-empty")
    assert watched.errors == []


def _painted_pixels(page: Page, test_id: str) -> int:
    """How many pixels of the canvas are not transparent: zero for a chart never drawn."""
    return page.get_by_test_id(test_id).evaluate(
        """canvas => {
            const data = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        }"""
    )
