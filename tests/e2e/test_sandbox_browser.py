"""The sandbox's page in a real browser, against Response running for real (``make run``).

A newcomer's whole incident, through the page only: type ``/incident …``, fill the modal (after
one inline validation error), see the headline in #incidents, create the comms channel, talk to
the bot there as two different people, pin a message, close the incident from the headline with
its confirm dialog. Screenshots of every step go to ``test-artifacts/screenshots/sandbox-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from core.lifecycle.statuses import STATUS_EMOJI, IncidentStatus
from core.models.incident import SEVERITY_EMOJI, Severity
from slack.flows.lifecycle.ids import STATUS_MENU
from tests.e2e.chromium import SCREENSHOTS, launch_chromium
from tests.e2e.sandbox_stack import SandboxStack, sandbox_stack  # noqa: F401 (the fixture)

# Response's work after a click (jobs in the worker, then Slack calls) takes a moment.
WAIT_MS = 20_000

TITLE = "Checkout shows a blank page"
PINNED_TEXT = "Rolled back release 2024.3 at 10:02; checkout renders again"


class Watched:
    """The page, and the errors it logged or threw."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def sandbox_page(sandbox_stack: SandboxStack) -> Iterator[Watched]:  # noqa: F811 (the fixture)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="Europe/London"
        )
        context.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        page = context.new_page()
        page.goto(sandbox_stack.sandbox_url + "/")
        yield Watched(page)
        context.close()
        browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"sandbox-{name}.png"))


def say(page: Page, text: str) -> None:
    """Type into the channel's composer and press Enter, as a person would."""
    composer = page.get_by_role("textbox", name="Message")
    composer.fill(text)
    composer.press("Enter")
    expect(composer).to_have_value("")


def message(page: Page, text: str | re.Pattern) -> Locator:
    """The (last) message in the channel pane containing ``text``."""
    return page.locator("#messages .message").filter(has_text=text).last


def open_channel(page: Page, name: str | re.Pattern) -> None:
    page.locator(".sidebar .channel-link").filter(has_text=name).click()
    expect(page.locator(".channel-title")).to_contain_text(name)


def act_as(page: Page, real_name: str) -> None:
    page.get_by_label("Acting as").select_option(label=real_name)
    expect(page.locator("#acting-avatar")).to_have_text(
        "".join(word[0] for word in real_name.split())
    )


def headline(page: Page) -> Locator:
    """The incident's headline post in #incidents (the bot's message with its title)."""
    return (
        page.locator("#messages .message:not(.ephemeral)")
        .filter(has_text=TITLE)
        .filter(has=page.get_by_text("Reporter:"))
    )


def test_a_newcomer_runs_an_incident_from_the_sandbox_page(
    sandbox_stack: SandboxStack,  # noqa: F811 (the fixture)
    sandbox_page: Watched,
) -> None:
    page = sandbox_page.page
    expect(page.locator(".channel-title")).to_have_text("#incidents")
    expect(page.get_by_label("Acting as")).to_have_value("U0ALICE")
    shot(page, "01-incidents")

    # /incident opens the report modal, its title prefilled from the command's text.
    say(page, f"/incident {TITLE}")
    modal = page.get_by_role("dialog", name="Report an incident")
    expect(modal).to_be_visible()
    expect(modal.get_by_label("Title")).to_have_value(TITLE)
    expect(modal.get_by_label("Yes, it's happening now")).to_be_checked()
    expect(modal.get_by_role("checkbox", name="Not sure yet")).not_to_be_checked()
    expect(modal.get_by_role("checkbox", name="This is a drill")).not_to_be_checked()

    # An empty title comes back as an error under that field; the modal stays open.
    modal.get_by_label("Title").fill("")
    modal.get_by_role("button", name="Report").click()
    title_block = modal.locator(".block-input").filter(has=page.get_by_label("Title"))
    expect(title_block.locator(".input-error")).to_be_visible()
    shot(page, "02-modal-error")

    modal.get_by_label("Title").fill(TITLE)
    expect(title_block.locator(".input-error")).to_be_hidden()
    modal.get_by_label("Summary").fill("Since 09:40 the checkout page renders blank for everyone.")
    modal.get_by_label("Impact").fill("No orders can be placed on the web shop.")
    modal.get_by_label("Lead").select_option(label="Carol Chen")
    modal.get_by_label("Severity").select_option(label=f"{SEVERITY_EMOJI[Severity.MAJOR]} Major")
    shot(page, "03-modal-filled")
    modal.get_by_role("button", name="Report").click()
    expect(modal).to_be_hidden()

    # The headline appears in #incidents, and the reporter is thanked where she typed.
    post = headline(page)
    expect(post).to_be_visible()
    expect(post).to_contain_text("@carol")
    expect(post).to_contain_text("Major")
    expect(message(page, "Thanks for raising the incident")).to_contain_text("Only visible to you")
    shot(page, "04-headline")

    # Create comms channel: a new channel, the headline updated with it.
    post.get_by_role("button", name="Create comms channel").click()
    expect(post.get_by_role("button", name="Create comms channel")).to_be_hidden()
    comms = page.locator(".sidebar .channel-link").filter(
        has_text=re.compile(r"^#?inc-\d+-checkout")
    )
    expect(comms).to_be_visible()
    channel_name = comms.locator(".channel-name").inner_text()
    incident_id = int(re.match(r"inc-(\d+)-", channel_name).group(1))
    expect(post).to_contain_text(f"#{channel_name}")
    open_channel(page, channel_name)
    expect(message(page, "Pin messages here to add them to the timeline")).to_be_visible()
    bookmark = page.locator(".bookmarks a")
    expect(bookmark).to_have_attribute("href", re.compile(f"/incident/{incident_id}/$"))
    shot(page, "05-comms-channel")

    # @incident commands, answered in the channel and acknowledged with ✅.
    say(page, "@incident lead @bob")
    expect(message(page, "is now leading this incident")).to_contain_text("@bob")
    expect(message(page, "lead @bob").locator(".reaction")).to_contain_text("✅")

    # Another person (invited as the lead chosen in the modal) picks up from here.
    act_as(page, "Carol Chen")
    expect(page.locator(".channel-title")).to_have_text(f"#{channel_name}")
    say(page, "@incident severity critical")
    expect(message(page, "Severity is now")).to_contain_text(re.compile("critical", re.I))
    say(page, "@incident help")
    expect(message(page, "Talk to me with")).to_contain_text("severity")
    shot(page, "06-commands")

    # The headline's Status menu moves the incident on, and the headline says so.
    open_channel(page, "incidents")
    # (The Status line, not the menu, whose options name the other statuses.)
    status = post.locator(".section-field").filter(has_text="Status:")
    expect(status).to_contain_text(IncidentStatus.INVESTIGATING.label)
    menu = post.locator(f"select[data-action-id='{STATUS_MENU}']")
    menu.select_option(label=f"{STATUS_EMOJI[IncidentStatus.FIXING]} {IncidentStatus.FIXING.label}")
    expect(status).to_contain_text(IncidentStatus.FIXING.label)
    shot(page, "06b-status-menu")
    open_channel(page, channel_name)

    # A pinned message becomes a timeline entry of the incident.
    say(page, PINNED_TEXT)
    note = message(page, PINNED_TEXT)
    note.hover()
    note.get_by_role("button", name="Pin").click()
    expect(note.locator(".pinned-label")).to_be_visible()
    sandbox_stack.sandbox.wait_for(
        lambda: any(
            PINNED_TEXT in entry.get("text", "")
            for entry in sandbox_stack.api("/core/timeline/", incident=incident_id)["results"]
        ),
        message="the pinned message in the incident's timeline",
    )
    shot(page, "07-pinned")

    # Close from the headline: its confirm dialog first, then the headline says it is resolved.
    open_channel(page, "incidents")
    post.get_by_role("button", name="Close").click()
    confirm = page.get_by_role("alertdialog", name="Close this incident?")
    expect(confirm).to_be_visible()
    shot(page, "08-confirm-close")
    confirm.get_by_role("button", name="Close it").click()
    expect(post).to_contain_text("Resolved")
    expect(post.locator(".block-actions")).to_have_count(0)
    shot(page, "09-closed")

    open_channel(page, channel_name)
    expect(message(page, "This incident was resolved")).to_be_visible()
    shot(page, "10-comms-closed")

    # The lead is asked, in a direct message from the bot, to complete the report.
    act_as(page, "Bob Brown")
    dm = page.locator(".sidebar-section").filter(has_text="Direct messages")
    dm.locator(".channel-link").filter(has_text="incident").click()
    expect(message(page, "Don't forget to complete the report")).to_contain_text(TITLE)
    shot(page, "11-lead-dm")

    # Everything Slack would have sent Response, acknowledged in time.
    page.get_by_role("button", name="What Response was sent").click()
    deliveries = page.get_by_role("complementary", name="Deliveries to Response")
    expect(deliveries.locator(".activity-item").first).to_be_visible()
    expect(deliveries.locator(".activity-item.bad")).to_have_count(0)
    shot(page, "12-deliveries")

    assert sandbox_page.errors == []
