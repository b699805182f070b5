"""The web UI in a real browser: headless Chromium (Debian's) driven by Playwright against a live
server. Screenshots of every page go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core import services
from core.models import Participation, Severity, TimelineEventKind
from slack.models import CommsChannel
from tests.e2e.chromium import SCREENSHOTS
from tests.ui import builders

VIEWER_ZONE = "Asia/Tokyo"

pytestmark = pytest.mark.django_db(transaction=True)


class Watched:
    """A page and what it did that it should not: dialogs opened, errors logged."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(
        timezone_id=VIEWER_ZONE, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    yield Watched(context.new_page())
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in_by_cookie(page: Page, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )


@pytest.fixture
def people():
    return (
        builders.slack_user("U0ALICE", "alice"),
        builders.slack_user("U0BOB", "bob"),
    )


@pytest.fixture
def incidents(people):
    """A live critical incident with a full document, a resolved one and a report."""
    alice, bob = people
    now = timezone.now()
    fire = builders.incident(
        "Database is on fire :fire:",
        reporter=alice,
        lead=bob,
        severity=Severity.CRITICAL,
        summary="Primary *database* stopped accepting writes. <@U0BOB> is on it in <#C0FIRE>.",
        impact="Customers cannot pay. See <https://status.example.com|the status page>.",
        report_time=now - dt.timedelta(hours=2),
    )
    CommsChannel.objects.create(incident=fire, channel_id="C0FIRE", name="inc-1-database")
    for minutes, text, author in [
        (5, "Failover started by <@U0BOB> :rotating_light:", bob),
        (1, "Replica promoted, writes flowing again :white_check_mark:", alice),
        (3, "Disk full on the primary", alice),
    ]:
        services.timeline_source_upsert(
            incident=fire,
            source_ref=f"pin-{minutes}",
            kind=TimelineEventKind.PINNED_MESSAGE,
            text=text,
            author=author,
            time=now - dt.timedelta(minutes=minutes),
            metadata={"permalink": f"https://example.slack.com/archives/C0FIRE/p{minutes}"},
        )
    services.action_log(
        incident=fire, details="Alert on disk usage above 80%", owner=alice, priority=1
    )
    services.action_log(incident=fire, details="Write the postmortem", owner=bob, done=True)
    Participation.objects.create(incident=fire, user=bob, message_count=12)
    Participation.objects.create(incident=fire, user=alice, message_count=5)
    services.milestone_set(
        incident=fire, kind="started", time=now - dt.timedelta(hours=2, minutes=30), actor=bob
    )
    services.milestone_set(
        incident=fire, kind="detected", time=now - dt.timedelta(hours=2, minutes=10), actor=bob
    )
    services.role_assign(incident=fire, role="comms", holder=alice, actor=bob)
    services.incident_status_set(incident=fire, status="fixing", actor=bob)

    slow = builders.incident(
        "Checkout is slow",
        reporter=bob,
        severity=Severity.MINOR,
        closed=True,
        report_time=now - dt.timedelta(days=1),
    )
    report = builders.incident(
        "Old outage of the search page",
        reporter=alice,
        severity=Severity.TRIVIAL,
        report_only=True,
        report_time=now - dt.timedelta(days=3),
    )
    return fire, slow, report


def rows(page: Page):
    return page.get_by_test_id("incident-row")


def test_log_in_filter_the_list_and_read_an_incident(live_server, watched, incidents):
    page = watched.page
    fire, _, _ = incidents
    builders.login_user("responder")

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Log in to Response")).to_be_visible()
    shot(page, "01-login")

    page.get_by_label("Username").fill("responder")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    page.get_by_label("Password").fill(builders.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/")
    # tz.js told the server the viewer's zone and the page came back in it.
    expect(page.get_by_test_id("viewer-timezone")).to_have_text(VIEWER_ZONE)
    expect(rows(page)).to_have_count(3)
    expect(rows(page).first).to_contain_text("Database is on fire 🔥")
    expect(rows(page).first.get_by_test_id("status")).to_have_text("🛠️ Fixing")
    expect(rows(page).first.get_by_test_id("severity")).to_have_text("⛈️ Critical")
    expect(rows(page).nth(1).get_by_test_id("status")).to_have_text("💧 Resolved")
    expect(rows(page).nth(2).get_by_test_id("status")).to_have_text("📓 Reported")
    shot(page, "02-incident-list")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Checkout is slow")
    expect(page.get_by_label("Status")).to_have_value("resolved")
    shot(page, "03-incident-list-filtered")

    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Database is on fire")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Severity").select_option(str(Severity.CRITICAL.value))
    page.get_by_label("Title").fill("database")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page)).to_have_count(1)

    page.get_by_role("link", name="Database is on fire 🔥").click()
    expect(page).to_have_url(f"{live_server.url}/incident/{fire.pk}/")
    expect(page.get_by_test_id("incident-title")).to_have_text("Database is on fire 🔥")
    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text("@bob is on it in #inc-1-database.")
    expect(
        page.get_by_test_id("impact").get_by_role("link", name="the status page")
    ).to_have_attribute("href", "https://status.example.com")
    facts = page.get_by_test_id("facts")
    expect(page.get_by_test_id("status-meaning")).to_have_text(
        "The cause is known and a fix is under way"
    )
    expect(facts.get_by_test_id("role")).to_have_text(
        [re.compile(r"Incident lead\s*bob"), re.compile(r"Communications lead\s*alice")]
    )
    expect(page.get_by_test_id("unheld-roles")).to_have_text("Nobody holds: Scribe.")
    milestones = page.get_by_test_id("milestone")
    expect(milestones).to_have_count(6)
    expect(milestones.filter(has_text="Detected")).to_contain_text("JST")
    expect(milestones.filter(has_text="Detected")).to_contain_text("by bob")
    expect(milestones.filter(has_text="Mitigated")).to_contain_text("not set")
    numbers = page.get_by_test_id("number")
    expect(numbers.filter(has_text="Time to detect")).to_contain_text("20 mins")
    expect(numbers.filter(has_text="Time to mitigate")).to_contain_text("(mitigated not set)")
    expect(page.get_by_test_id("participants")).to_have_text(
        re.compile(r"bob\s+12 messages\s+alice\s+5 messages")
    )

    entries = page.get_by_test_id("timeline-entry")
    texts = entries.all_inner_texts()
    order = [
        next(i for i, text in enumerate(texts) if needle in text)
        for needle in ["Failover started by @bob 🚨", "Disk full", "Replica promoted"]
    ]
    assert order == sorted(order), texts
    failover = entries.filter(has_text="Failover started")
    expect(failover).to_contain_text("bob")
    expect(failover).to_contain_text("JST")
    expect(failover.get_by_role("link", name="View in Slack")).to_have_attribute(
        "href", "https://example.slack.com/archives/C0FIRE/p5"
    )

    actions = page.get_by_test_id("action")
    expect(actions).to_have_count(2)
    expect(actions.first).to_contain_text("Alert on disk usage above 80%")
    expect(actions.first).to_contain_text("Owner: alice")
    expect(actions.first).to_contain_text("Priority: high")
    expect(actions.nth(1)).to_contain_text("Done")
    expect(actions.nth(1)).to_contain_text("Owner: bob")
    shot(page, "04-incident-document")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Response")).to_be_visible()
    page.goto(f"{live_server.url}/incident/{fire.pk}/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))

    assert watched.dialogs == []
    assert watched.errors == []


def test_pages_fit_a_phone(live_server, browser, incidents):
    fire, *_ = incidents
    context = browser.new_context(
        timezone_id=VIEWER_ZONE,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        log_in_by_cookie(page, live_server.url, builders.login_user())
        for path, name in [("/", "05-phone-list"), (f"/incident/{fire.pk}/", "06-phone-incident")]:
            page.goto(live_server.url + path)
            expect(page.get_by_test_id("viewer-timezone")).to_have_text(VIEWER_ZONE)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
            shot(page, name)
    finally:
        context.close()


def test_no_script_runs_from_incident_content(live_server, watched, people):
    alice, _ = people
    page = watched.page
    evil = builders.incident(
        f"Title {builders.XSS_SCRIPT} {builders.XSS_SLACK_LINK}",
        reporter=alice,
        summary=f"Summary {builders.XSS_TEXT}",
        impact=f"Impact {builders.XSS_TEXT}",
    )
    services.timeline_note_add(incident=evil, text=f"Note {builders.XSS_TEXT}", author=alice)
    services.timeline_source_upsert(
        incident=evil,
        source_ref="pin-evil",
        kind=TimelineEventKind.PINNED_MESSAGE,
        text=f"Pin {builders.XSS_SLACK_ESCAPED}",
        author=alice,
        time=timezone.now(),
        metadata={"permalink": "javascript:alert('permalink')"},
    )
    services.action_log(incident=evil, details=f"Action {builders.XSS_TEXT}", owner=alice)
    log_in_by_cookie(page, live_server.url, builders.login_user())

    page.goto(live_server.url + "/")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("<script>")
    page.goto(f"{live_server.url}/incident/{evil.pk}/")
    expect(page.get_by_test_id("incident-title")).to_contain_text("Title <script>")
    # Give handlers (onerror of a broken image, onload of an svg) time to fire if they exist.
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    shot(page, "07-hostile-incident")

    assert watched.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert (
        page.locator("main script, main img, main svg, main [onerror], main [onload]").count() == 0
    )
    # Still readable: what was typed is shown as text.
    for test_id in ("summary", "impact"):
        block = page.get_by_test_id(test_id)
        expect(block).to_contain_text("<script>window.__pwned = 1; alert('script')</script>")
        expect(block).to_contain_text("<img src=x onerror=")
        expect(block).to_contain_text("click me")
        expect(block).to_contain_text(" x ")
    expect(page.get_by_test_id("timeline")).to_contain_text("Pin <script>alert('pin')</script>")
    expect(page.get_by_test_id("timeline")).to_contain_text("Note <script>")
    expect(page.get_by_test_id("timeline").get_by_role("link", name="View in Slack")).to_have_count(
        0
    )
    expect(page.get_by_test_id("actions")).to_contain_text("Action <script>")
    assert watched.errors == []


def test_api_docs_render_from_local_files(live_server, watched):
    page = watched.page
    log_in_by_cookie(page, live_server.url, builders.login_user())
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server.url) or request.url.startswith("data:")
            else outside.append(request.url)
        ),
    )

    page.goto(live_server.url + "/core/docs/")
    expect(page.get_by_role("heading", name=re.compile("Response API"))).to_be_visible()
    expect(page.get_by_text("/core/incidents/", exact=True).first).to_be_visible()
    shot(page, "08-api-docs")

    page.goto(live_server.url + "/core/incidents/")
    expect(page.get_by_role("heading", name="Incident List")).to_be_visible()
    shot(page, "09-api-browsable")

    assert outside == []
    assert watched.errors == []


LONG_WORD = "Unbroken" * 25  # 200 characters, no spaces
LONG_WORDS = ("Checkout fails " * 14)[:200].strip()  # 200 characters of short words


def badge_boxes(page: Page) -> list[dict]:
    """The bounding box of every status and severity badge on the page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main .badge')].map(b => {
            const box = b.getBoundingClientRect();
            const font = parseFloat(getComputedStyle(b).fontSize);
            return {text: b.textContent.trim(), width: box.width, height: box.height, font};
        })"""
    )


@pytest.mark.parametrize(
    ("width", "name"), [(1024, "10-long-titles-1024"), (390, "11-long-titles-phone")]
)
def test_badges_keep_their_shape_beside_long_titles(live_server, browser, people, width, name):
    alice, bob = people
    made = [
        builders.incident(title, reporter=alice, lead=bob, severity=Severity.CRITICAL, drill=drill)
        for title, drill in ((LONG_WORD, False), (LONG_WORDS, True))
    ]
    context = browser.new_context(timezone_id=VIEWER_ZONE, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        log_in_by_cookie(page, live_server.url, builders.login_user())
        pages = [
            ("/", "list", 5),
            *((f"/incident/{i.pk}/", f"incident-{i.pk}", 2 + i.drill) for i in made),
        ]
        for path, what, badges in pages:
            page.goto(live_server.url + path)
            expect(page.get_by_test_id("status").first).to_be_visible()
            shot(page, f"{name}-{what}")
            boxes = badge_boxes(page)
            assert len(boxes) == badges
            for box in boxes:
                # One line of 0.8rem text plus padding and border: well under two lines' height.
                assert box["height"] < box["font"] * 2.6, (path, box)
                assert box["width"] > box["height"] * 1.5, (path, box)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    finally:
        context.close()


def test_ticking_a_follow_up_marks_it_done(live_server, watched, incidents):
    fire, *_ = incidents
    page = watched.page
    page.set_viewport_size({"width": 1024, "height": 900})
    log_in_by_cookie(page, live_server.url, builders.login_user())
    page.goto(f"{live_server.url}/incident/{fire.pk}/")
    alert = page.get_by_role("checkbox", name="Alert on disk usage above 80%")
    postmortem = page.get_by_role("checkbox", name="Write the postmortem")
    expect(alert).not_to_be_checked()
    expect(postmortem).to_be_checked()
    # With script the checkbox saves itself: no button to press.
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    shot(page, "12-follow-ups-before")

    with page.expect_navigation():
        alert.click()
    expect(page).to_have_url(re.compile(rf"/incident/{fire.pk}/#action-\d+$"))
    expect(alert).to_be_checked()
    expect(page.get_by_test_id("action").first).to_contain_text("Done")
    with page.expect_navigation():
        postmortem.click()
    expect(postmortem).not_to_be_checked()

    page.reload()
    expect(alert).to_be_checked()
    expect(postmortem).not_to_be_checked()
    expect(page.get_by_test_id("action").nth(1)).to_contain_text("Open")
    shot(page, "13-follow-ups-after")
    assert list(fire.actions.order_by("id").values_list("status", flat=True)) == ["done", "open"]
    assert watched.errors == []


def test_follow_ups_can_be_ticked_without_script(live_server, browser, incidents):
    fire, *_ = incidents
    context = browser.new_context(
        timezone_id=VIEWER_ZONE, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in_by_cookie(page, live_server.url, builders.login_user())
        page.goto(f"{live_server.url}/incident/{fire.pk}/")
        action = page.get_by_test_id("action").filter(has_text="Alert on disk usage")
        action.get_by_role("checkbox").check()
        shot(page, "14-follow-ups-no-script")
        action.get_by_role("button", name="Save").click()

        expect(action.get_by_role("checkbox")).to_be_checked()
        expect(action).to_contain_text("Done")
        assert fire.actions.get(details__startswith="Alert").done is True
    finally:
        context.close()


LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Ossenbrügge"


@pytest.mark.parametrize(
    ("width", "name"), [(1024, "15-lifecycle-1024"), (390, "16-lifecycle-phone")]
)
def test_the_lifecycle_reads_well_with_long_names(live_server, browser, width, name):
    """Every role held by people with long names, a drill, a merge, a reopen: at 1024 px and on
    a phone nothing scrolls sideways, and each part says what it is."""
    long = builders.slack_user("U0LONG", LONG_NAME)
    longer = builders.slack_user("U0LONGER", f"{LONG_NAME} the Second of Her Name")
    now = timezone.now()
    target = builders.incident(
        "Search results are empty for every query in the European region",
        reporter=long,
        lead=longer,
        severity=Severity.MAJOR,
        report_time=now - dt.timedelta(hours=5),
    )
    for role, holder in (("comms", long), ("scribe", longer)):
        services.role_assign(incident=target, role=role, holder=holder, actor=long)
    services.milestone_set(
        incident=target, kind="started", time=now - dt.timedelta(hours=6), actor=long
    )
    services.milestone_set(
        incident=target, kind="detected", time=now - dt.timedelta(hours=5, minutes=40), actor=long
    )
    for status, reason in (("monitoring", ""), ("resolved", ""), ("investigating", "back again")):
        services.incident_status_set(incident=target, status=status, reason=reason, actor=longer)
    drill = builders.incident(
        "Quarterly failover practice", reporter=long, lead=longer, drill=True, triage=True
    )
    duplicate = builders.incident("Search is down", reporter=longer, lead=long)
    services.incident_status_set(
        incident=duplicate, status="merged", merged_into=target, actor=long
    )
    context = browser.new_context(timezone_id=VIEWER_ZONE, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        log_in_by_cookie(page, live_server.url, builders.login_user())
        pages = [
            ("/", "list"),
            (f"/incident/{target.pk}/", "reopened"),
            (f"/incident/{drill.pk}/", "drill"),
            (f"/incident/{duplicate.pk}/", "merged"),
        ]
        for path, what in pages:
            page.goto(live_server.url + path)
            expect(page.get_by_test_id("status").first).to_be_visible()
            shot(page, f"{name}-{what}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"

        page.goto(f"{live_server.url}/incident/{target.pk}/")
        roles = page.get_by_test_id("role")
        expect(roles).to_have_count(3)
        for n, (label, holder) in enumerate(
            [
                ("Incident lead", longer),
                ("Communications lead", long),
                ("Scribe", longer),
            ]
        ):
            expect(roles.nth(n)).to_be_visible()
            expect(roles.nth(n)).to_contain_text(label)
            expect(roles.nth(n)).to_contain_text(holder.name)
        expect(page.get_by_test_id("status").first).to_have_text("🔥 Investigating")
        expect(page.get_by_test_id("timeline")).to_contain_text(
            "Reopened (investigating): back again"
        )
        expect(page.get_by_test_id("milestone").filter(has_text="Resolved")).to_contain_text(
            "not set"
        )

        page.goto(f"{live_server.url}/incident/{drill.pk}/")
        expect(page.get_by_test_id("drill")).to_have_text("🧪 Drill")
        expect(page.get_by_test_id("not-counted")).to_contain_text("it is a drill")

        page.goto(f"{live_server.url}/incident/{duplicate.pk}/")
        page.get_by_test_id("merged-into").get_by_role("link").click()
        expect(page).to_have_url(f"{live_server.url}/incident/{target.pk}/")

        page.goto(live_server.url + "/")
        drill_row = rows(page).filter(has_text="Quarterly failover practice")
        expect(drill_row.get_by_test_id("drill")).to_be_visible()
        expect(drill_row).to_contain_text(f"{LONG_NAME} the Second")
    finally:
        context.close()
