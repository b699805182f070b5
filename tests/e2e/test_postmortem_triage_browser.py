"""Adding a timeline note and triaging follow-ups on the postmortem page in Chromium, at 1024 px
with long names; screenshots in test-artifacts/screenshots/postmortem-triage-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from core import services
from core.models import ActionStatus, TimelineEvent
from tests.e2e.chromium import SCREENSHOTS
from tests.e2e.test_ui_browser import (  # noqa: F401 (fixtures)
    VIEWER_ZONE,
    log_in_by_cookie,
    shot,
    watched,
)
from tests.ui import builders

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff of the Platform Reliability Guild"


def test_add_a_note_and_triage_follow_ups(live_server, watched):  # noqa: F811
    page = watched.page
    page.set_viewport_size({"width": 1024, "height": 900})
    alice = builders.slack_user("U0ALICE", "alice")
    owner = builders.slack_user("U0LONG", LONG_NAME)
    fire = builders.incident(
        "Checkout payments failing for a large share of European card customers",
        reporter=alice,
        lead=alice,
        summary="Cards failed",
    )
    first = services.action_log(
        incident=fire,
        details="Alert on the error rate of the card authorisation service, per acquirer, "
        "with a runbook link that explains what to check first",
    )
    services.action_log(incident=fire, details="Drop the flag", owner=alice)
    log_in_by_cookie(page, live_server.url, builders.login_user())
    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/")
    # tz.js has now told the server the viewer's zone: reload so the forms read times in it.
    page.reload()
    expect(page.get_by_test_id("note-zone")).to_contain_text(VIEWER_ZONE)

    # A note with an unreadable time is refused, with what was typed kept.
    page.get_by_test_id("add-note").click()
    page.locator("#id_note-when").fill("half past nine")
    page.locator("#id_note-text").fill("Rolled back the card service")
    page.get_by_test_id("save-note").click()
    expect(page.get_by_test_id("error-when")).to_contain_text("half past nine")
    expect(page.locator("#id_note-text")).to_have_value("Rolled back the card service")
    shot(page, "postmortem-triage-note-error")

    page.locator("#id_note-when").fill("2026-01-15 09:30")
    page.get_by_test_id("save-note").click()
    note = TimelineEvent.objects.get(incident=fire, text="Rolled back the card service")
    # 09:30 in Tokyo is 00:30 UTC.
    assert note.time == dt.datetime(2026, 1, 15, 0, 30, tzinfo=dt.UTC)
    expect(page.locator(f"#entry-{note.pk}")).to_contain_text("15 Jan 2026, 09:30")

    # Triage: a bad date is refused next to its field, then the follow-up is saved.
    row = page.locator(f"#action-{first.pk}")
    row.get_by_test_id(f"triage-{first.pk}").click()
    row.locator("select[name$=-owner]").select_option(label=LONG_NAME)
    row.locator("select[name$=-priority]").select_option(label="High")
    row.locator("input[name$=-due]").evaluate("(input) => { input.type = 'text'; }")
    row.locator("input[name$=-due]").fill("next tuesday")
    row.get_by_test_id(f"save-action-{first.pk}").click()
    row = page.locator(f"#action-{first.pk}")
    expect(row.get_by_test_id("error-due")).to_contain_text("Enter a valid date")
    expect(row.locator("select[name$=-owner] option:checked")).to_have_text(LONG_NAME)
    shot(page, "postmortem-triage-error")

    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    row.locator("input[name$=-due]").fill(yesterday.isoformat())
    row.get_by_test_id(f"save-action-{first.pk}").click()
    row = page.locator(f"#action-{first.pk}")
    expect(row).to_contain_text(f"Owner: {LONG_NAME}")
    expect(row).to_contain_text("(overdue)")
    expect(page.get_by_test_id("overdue-count")).to_have_text("1 overdue")
    first.refresh_from_db()
    assert (first.owner, first.priority) == (owner, 1)

    second = fire.actions.exclude(pk=first.pk).get()
    other = page.locator(f"#action-{second.pk}")
    other.get_by_test_id(f"triage-{second.pk}").click()
    other.locator("select[name$=-status]").select_option(label="Won't do")
    other.get_by_test_id(f"save-action-{second.pk}").click()
    expect(page.locator(f"#action-{second.pk}")).to_contain_text("Won't do")
    second.refresh_from_db()
    assert second.status == ActionStatus.WONT_DO
    expect(page.get_by_test_id("untriaged-count")).to_have_count(0)

    page.locator(f"#action-{first.pk}").get_by_test_id(f"triage-{first.pk}").click()
    page.get_by_test_id("add-note").click()
    shot(page, "postmortem-triage-page")
    for part in ("follow-ups", "timeline"):
        page.locator(f"#{part}").screenshot(path=str(SCREENSHOTS / f"postmortem-triage-{part}.png"))
    # Nothing on the page is wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024

    # Every follow-up is triaged now, in the browser: the postmortem can be published.
    page.get_by_test_id("move-in_review").click()
    page.get_by_test_id("move-published").click()
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("published")

    empty = builders.incident("Nothing to follow up", reporter=alice, lead=alice)
    page.goto(f"{live_server.url}/incident/{empty.pk}/postmortem/")
    expect(page.locator("#follow-ups")).to_contain_text("No follow-ups.")
    shot(page, "postmortem-triage-empty")
    # The refused saves answer 400, which the console reports; nothing else may be logged.
    errors = [e for e in watched.errors if "400 (Bad Request)" not in e]
    assert watched.dialogs == [] and errors == []
