"""The postmortem page in Chromium: edit a section, curate the timeline (hide an entry, correct
its text in place), try to publish, and the print view; screenshots in
test-artifacts/screenshots/postmortem-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from core import services
from tests.e2e.test_ui_browser import (  # noqa: F401 (fixtures)
    log_in_by_cookie,
    shot,
    watched,
)
from tests.ui import builders

pytestmark = pytest.mark.django_db(transaction=True)


def test_edit_curate_publish_and_print(live_server, watched):  # noqa: F811
    page = watched.page
    page.set_viewport_size({"width": 1024, "height": 900})
    alice = builders.slack_user("U0ALICE", "alice with a rather long display name indeed")
    fire = builders.incident(
        "Checkout payments failing for a large share of European card customers",
        reporter=alice,
        lead=alice,
        summary="Cards failed <script>window.__pwned=1</script>",
        impact="About half of checkouts",
    )
    note = services.timeline_note_add(incident=fire, text="Bot noise", author=alice)
    services.action_log(incident=fire, details="Alert on the error rate")
    log_in_by_cookie(page, live_server.url, builders.login_user())
    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/")
    expect(page.get_by_test_id("section").first).to_contain_text("Cards failed")

    section = page.locator("#section-root_cause")
    section.locator("summary").click()
    section.locator("textarea").fill("A *config flag* flipped off")
    section.get_by_test_id("save-root_cause").click()
    expect(page.locator("#section-root_cause [data-testid=section-text] strong")).to_have_text(
        "config flag"
    )
    expect(page.locator("#section-root_cause [data-testid=revisions]")).to_contain_text(
        "1 save, last by responder"
    )

    entry = page.locator(f"#entry-{note.pk}")
    entry.locator("button", has_text="Hide").click()
    expect(entry.get_by_test_id("hidden")).to_be_visible()

    # The entry's edit form is fetched into the entry, in place: the page stays where it is.
    at = page.url
    entry.get_by_role("link", name="Edit text").click()
    text = entry.get_by_role("textbox", name="Text of this entry")
    expect(text).to_have_value("Bot noise")
    expect(text).to_be_focused()
    assert page.url == at
    text.fill("Bot noise, *corrected*")
    shot(page, "postmortem-entry-edit")
    entry.get_by_test_id("save-entry").click()
    expect(entry.locator(".prose strong")).to_have_text("corrected")
    expect(entry.locator(".history summary")).to_have_text("History (2)")
    # Without scripts, the same link is a page of its own.
    page.goto(f"{live_server.url}/timeline/{note.pk}/edit/")
    expect(page.get_by_role("textbox", name="Text of this entry")).to_have_value(
        "Bot noise, *corrected*"
    )
    shot(page, "postmortem-entry-edit-page")
    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/")

    page.get_by_test_id("move-in_review").click()
    page.get_by_test_id("move-published").click()
    expect(page.get_by_test_id("postmortem-error")).to_contain_text("Alert on the error rate")
    shot(page, "postmortem-page")

    action = fire.actions.get()
    services.action_update(
        action=action, owner=alice, due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/")
    expect(page.get_by_test_id("overdue-count")).to_have_text("1 overdue")
    page.get_by_test_id("move-published").click()
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("published")

    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/print/")
    expect(page.locator("h1")).to_contain_text("Checkout payments")
    expect(page.locator("body")).not_to_contain_text("Bot noise")
    shot(page, "postmortem-print")
    assert page.evaluate("window.__pwned") is None
    # The refused publish answers 409, which the console reports; nothing else may be logged.
    errors = [e for e in watched.errors if "409 (Conflict)" not in e]
    assert watched.dialogs == [] and errors == []

    # Signed out meanwhile, Edit text takes the whole page to the login page, and back after.
    page.goto(f"{live_server.url}/incident/{fire.pk}/postmortem/")
    page.context.clear_cookies()
    page.locator(f"#entry-{note.pk}").get_by_role("link", name="Edit text").click()
    expect(page).to_have_url(f"{live_server.url}/login/?next=/incident/{fire.pk}/postmortem/")
    expect(page.locator(f"#entry-{note.pk}")).to_have_count(0)
