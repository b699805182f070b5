"""The sandbox's page in headless Chromium, against the sandbox alone (no Response).

A local stand-in for Response (``receiver``) records what the page's clicks and submissions send,
so these tests check what a person sees and what Slack would deliver for what they do.

Chromium must be installed (``apt-get install chromium``): without it these tests fail, they do
not skip, because CI installs it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from slack_sdk import WebClient

from sandbox.server import Sandbox
from tests.sandbox.conftest import Received, Receiver, load

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
INCIDENTS = "C0INCIDENTS"
GENERAL = "C0GENERAL"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)."
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, sandbox: Sandbox) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(5_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.goto(sandbox.config.public_url + "/")
    expect(opened.locator(".channel-title")).to_have_text("#incidents")
    yield opened
    context.close()
    assert errors == []


def interactions(receiver: Receiver, kind: str) -> list[dict]:
    return [p for p in (r.payload for r in receiver.requests("/slack/action")) if p["type"] == kind]


def wait_for_interaction(receiver: Receiver, kind: str, count: int = 1) -> dict:
    found = receiver.wait_for(lambda: len(interactions(receiver, kind)) >= count)
    assert found, f"no {kind} number {count} arrived"
    return interactions(receiver, kind)[count - 1]


def message_events(receiver: Receiver) -> list[dict]:
    return [e["event"] for e in receiver.events("message")]


# --- Messages -------------------------------------------------------------------------------------


def test_mrkdwn_is_formatted_and_markup_in_text_stays_text(page: Page, web: WebClient) -> None:
    web.chat_postMessage(channel=INCIDENTS, text=load("web_formatted_message.json")["text"])
    message = page.locator(".message").last

    expect(message.locator("strong")).to_have_text("Bold")
    expect(message.locator("em")).to_have_text("italic")
    expect(message.locator("s")).to_have_text("struck")
    expect(message.locator("code")).to_have_text("a < b")
    link = message.get_by_role("link", name="status page")
    expect(link).to_have_attribute("href", "https://status.example.com/?a=1&b=2")
    expect(message.locator(".mention[data-user='U0BOB']")).to_have_text("@bob")
    expect(message.locator(".channel-mention")).to_have_text("#general")
    expect(message.locator("time.md-date")).to_have_text("2023-11-14")
    expect(message).to_contain_text("👋")
    expect(message).to_contain_text("<img src=x onerror=alert(1)>")
    expect(message.locator(".message-body img")).to_have_count(0)
    expect(message).to_contain_text("snake_case_stays")
    expect(message.locator(".author")).to_have_text("incident")
    expect(message.locator(".badge-app")).to_have_text("APP")

    message.locator(".channel-mention").click()
    expect(page.locator(".channel-title")).to_have_text("#general")


def test_blocks_render_and_their_buttons_and_selects_send_block_actions(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    blocks = load("web_formatted_message.json")["blocks"]
    posted = web.chat_postMessage(channel=INCIDENTS, text="Card payments", blocks=blocks)
    message = page.locator(f".message[data-ts='{posted['ts']}']")

    expect(message.locator(".block-header")).to_have_text("🚨 Card payments")
    expect(message.locator(".section-text")).to_have_text(
        "Title: Payments <script>are</script> failing"
    )
    expect(message.locator(".section-field").first).to_have_text("Lead: @carol")
    expect(message.locator(".section-field").last).to_have_text("*not bold*")
    expect(message.locator(".context-image")).to_have_attribute("alt", "an icon")
    expect(message.locator(".block-context")).to_contain_text("Reported by @alice")
    expect(message.locator(".block-divider hr")).to_have_count(1)
    expect(message.get_by_role("button", name="Acknowledge")).to_have_class("btn btn-primary")

    message.get_by_role("button", name="Acknowledge").click()
    action = wait_for_interaction(receiver, "block_actions")["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == ("ack", "buttons", "ack-7")

    # A button with confirm asks first; "Not yet" sends nothing.
    message.get_by_role("button", name="Close").click()
    dialog = page.get_by_role("alertdialog", name="Close it?")
    expect(dialog).to_contain_text("Incident 7 will be resolved.")
    dialog.get_by_role("button", name="Not yet").click()
    expect(dialog).to_be_hidden()
    message.get_by_role("button", name="Close").click()
    dialog.get_by_role("button", name="Close it").click()
    payload = wait_for_interaction(receiver, "block_actions", 2)
    assert payload["actions"][0]["action_id"] == "close"
    assert payload["container"]["message_ts"] == posted["ts"]

    message.locator("select[data-action-id='severity']").select_option(label="Critical")
    action = wait_for_interaction(receiver, "block_actions", 3)["actions"][0]
    assert action["selected_option"]["value"] == "1"

    message.locator("select[data-action-id='lead']").select_option(label="Dave Diaz")
    action = wait_for_interaction(receiver, "block_actions", 4)["actions"][0]
    assert action["selected_user"] == "U0DAVE"

    message.get_by_role("button", name="More actions").click()
    message.get_by_role("button", name="Follow").click()
    action = wait_for_interaction(receiver, "block_actions", 5)["actions"][0]
    assert (action["action_id"], action["selected_option"]["value"]) == ("more", "follow")
    assert len(interactions(receiver, "block_actions")) == 5


# --- Modals ---------------------------------------------------------------------------------------


def open_modal_on_command(receiver: Receiver, web: WebClient) -> None:
    """Answer /incident by opening the every-input modal; refuse its first submission."""

    def answer(request: Received, count: int) -> tuple[int, str, str] | None:
        if request.path == "/slack/slash_command":
            web.views_open(
                trigger_id=request.form["trigger_id"], view=load("web_every_input_modal.json")
            )
            return None
        submissions = interactions(receiver, "view_submission")
        if request.path == "/slack/action" and request.payload in submissions[:1]:
            errors = {"title": "Say what is broken, in a sentence."}
            body = json.dumps({"response_action": "errors", "errors": errors})
            return 200, "application/json", body
        return None

    receiver.answer = answer


def test_a_modal_is_a_form_whose_values_arrive_in_slacks_shape(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    open_modal_on_command(receiver, web)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("/incident payments")
    composer.press("Enter")

    modal = page.get_by_role("dialog", name="Every input")
    expect(modal).to_contain_text("Tell us everything.")
    expect(modal.get_by_label("Title")).to_have_value("Payments are failing")
    expect(modal.get_by_label("Severity")).to_have_value("3")
    expect(modal.get_by_label("Lead")).to_have_value("U0BOB")
    expect(modal.get_by_label("Started on")).to_have_value("2024-03-01")
    expect(modal.get_by_label("Happening now")).to_be_checked()
    expect(modal.locator(".block-input[data-block-id='summary']")).to_contain_text("(optional)")
    expect(modal.locator(".block-input[data-block-id='summary']")).to_contain_text("A few lines.")
    expect(modal.get_by_role("button", name="Cancel")).to_be_visible()

    modal.get_by_label("Title").fill("Card payments are failing")
    modal.get_by_label("Summary").fill("Since 09:40.\nOnly cards.")
    modal.get_by_label("Severity").select_option(label="Critical")
    modal.get_by_label("Helpers").select_option(["U0CAROL", "U0DAVE"])
    modal.get_by_label("Started on").fill("2024-03-02")
    modal.get_by_label("Mobile app").check()
    modal.get_by_role("button", name="Save").click()

    # Refused: the message shows under the right field and the modal stays open as typed.
    title_error = modal.locator(".block-input[data-block-id='title'] .input-error")
    expect(title_error).to_have_text("Say what is broken, in a sentence.")
    expect(modal.locator(".input-error:visible")).to_have_count(1)
    expect(modal.get_by_label("Summary")).to_have_value("Since 09:40.\nOnly cards.")
    first = wait_for_interaction(receiver, "view_submission")
    assert first["view"]["state"]["values"] == load("web_every_input_values.json")

    modal.get_by_role("button", name="Save").click()
    expect(modal).to_be_hidden()
    assert len(interactions(receiver, "view_submission")) == 2

    # Cancel closes it and, with notify_on_close, tells the app.
    composer.fill("/incident again")
    composer.press("Enter")
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()
    closed = wait_for_interaction(receiver, "view_closed")
    assert closed["view"]["callback_id"] == "every-input"


# --- The composer and the conversation ------------------------------------------------------------


def test_typed_text_is_sent_as_slacks_client_sends_it(page: Page, receiver: Receiver) -> None:
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("hello <b>world</b> & @bob, see #general")
    composer.press("Enter")
    expect(composer).to_have_value("")

    assert receiver.wait_for(lambda: message_events(receiver))
    event = message_events(receiver)[0]
    assert (
        event["text"] == "hello &lt;b&gt;world&lt;/b&gt; &amp; <@U0BOB>, see <#C0GENERAL|general>"
    )
    assert event["user"] == "U0ALICE"
    message = page.locator(".message").last
    expect(message).to_contain_text("hello <b>world</b> & @bob, see #general")
    expect(message.locator(".author")).to_have_text("Alice Adams")


def test_ephemeral_messages_are_only_shown_to_their_person(page: Page, web: WebClient) -> None:
    web.chat_postEphemeral(channel=INCIDENTS, user="U0ALICE", text="Only for Alice")
    note = page.locator(".message.ephemeral")
    expect(note).to_contain_text("Only visible to you")
    expect(note).to_contain_text("Only for Alice")

    page.get_by_label("Acting as").select_option(label="Bob Brown")
    expect(page.locator("#acting-avatar")).to_have_text("BB")
    expect(note).to_have_count(0)


def test_threads_show_their_replies_and_take_new_ones(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    parent = web.chat_postMessage(channel=INCIDENTS, text="Anyone seeing 500s?")
    web.chat_postMessage(channel=INCIDENTS, text="Yes, since 09:40", thread_ts=parent["ts"])
    top = page.locator(f"#messages .message[data-ts='{parent['ts']}']")
    expect(page.locator("#messages .message")).to_have_count(1)

    top.get_by_role("button", name="1 reply").click()
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread.locator(".message")).to_have_count(2)
    expect(thread).to_contain_text("Yes, since 09:40")
    reply = thread.get_by_role("textbox", name="Reply")
    reply.fill("Me too")
    reply.press("Enter")
    expect(thread.locator(".message")).to_have_count(3)
    expect(top.get_by_role("button", name="2 replies")).to_be_visible()
    assert receiver.wait_for(
        lambda: [e for e in message_events(receiver) if e.get("text") == "Me too"]
    )
    event = next(e for e in message_events(receiver) if e.get("text") == "Me too")
    assert event["thread_ts"] == parent["ts"]


def test_a_channel_with_new_messages_is_marked_until_opened(page: Page, web: WebClient) -> None:
    general = page.locator(".channel-link[data-name='general']")
    expect(general.locator(".unread-dot")).to_have_count(0)

    web.chat_postMessage(channel=GENERAL, text="Lunch is here")
    expect(general.locator(".unread-dot")).to_have_count(1)
    expect(general).to_have_class("channel-link unread")

    general.click()
    expect(page.locator(".channel-title")).to_have_text("#general")
    expect(general.locator(".unread-dot")).to_have_count(0)


def test_pins_and_reactions_from_the_message_menu(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    posted = web.chat_postMessage(channel=INCIDENTS, text="Rolled back the release")
    message = page.locator(f".message[data-ts='{posted['ts']}']")

    message.hover()
    message.get_by_role("button", name="Pin").click()
    expect(message.locator(".pinned-label")).to_have_text("📌 Pinned")
    assert receiver.wait_for(lambda: receiver.events("pin_added"))

    message.hover()
    message.get_by_role("button", name="Unpin").click()
    expect(message.locator(".pinned-label")).to_have_count(0)
    assert receiver.wait_for(lambda: receiver.events("pin_removed"))

    message.hover()
    message.get_by_role("button", name="React").click()
    chip = message.locator(".reaction")
    expect(chip).to_have_text("✅1")
    expect(chip).to_have_attribute("aria-pressed", "true")
    chip.click()  # clicking your own reaction takes it back, as in Slack
    expect(chip).to_have_count(0)


def test_the_composer_suggests_people_channels_and_the_command(page: Page) -> None:
    composer = page.get_by_role("textbox", name="Message")
    suggestions = page.get_by_role("listbox", name="Suggestions")

    composer.press_sequentially("/inc")
    expect(suggestions.get_by_role("option")).to_have_text(["/incidentslash command"])
    composer.press("Tab")
    expect(composer).to_have_value("/incident ")

    composer.fill("")
    composer.press_sequentially("@incident lead @ca")
    expect(suggestions.get_by_role("option")).to_have_text(["@carolCarol Chen"])
    composer.press("Tab")
    expect(composer).to_have_value("@incident lead @carol ")
    expect(suggestions).to_be_hidden()

    composer.press_sequentially("in #gen")
    suggestions.get_by_role("option", name="#general").click()
    expect(composer).to_have_value("@incident lead @carol in #general ")


def test_a_channel_one_is_not_in_can_be_read_but_not_written_to(page: Page, web: WebClient) -> None:
    created = web.conversations_create(name="inc-9-quiet")["channel"]
    web.chat_postMessage(channel=created["id"], text="Welcome to incident 9")
    others = page.locator(".sidebar-section").filter(has_text="Other channels")
    others.locator(".channel-link", has_text="inc-9-quiet").click()

    expect(page.locator(".channel-title")).to_have_text("#inc-9-quiet")
    expect(page.locator(".message").last).to_contain_text("Welcome to incident 9")
    composer = page.get_by_role("textbox", name="Message")
    expect(composer).to_be_disabled()
    expect(composer).to_have_attribute("placeholder", re.compile("only its members can post"))


def test_what_response_was_sent_is_listed_with_its_answer(page: Page, receiver: Receiver) -> None:
    receiver.answer = lambda request, count: (500, "text/plain", "boom")
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("/incident is anyone there")
    composer.press("Enter")
    expect(page.locator(".message.ephemeral")).to_contain_text("failed with the error")

    page.get_by_role("button", name="What Response was sent").click()
    panel = page.get_by_role("complementary", name="Deliveries to Response")
    entry = panel.locator(".activity-item").filter(has_text="/incident is anyone there")
    expect(entry).to_contain_text("command")
    expect(entry).to_contain_text("HTTP 500")
    expect(entry).to_have_class("activity-item bad")


def test_without_long_polling_the_page_still_follows_changes(page: Page, web: WebClient) -> None:
    page.route("**/sandbox/changes*", lambda route: route.abort())
    page.reload()
    expect(page.locator(".channel-title")).to_have_text("#incidents")

    web.chat_postMessage(channel=INCIDENTS, text="Seen by asking every second")
    expect(page.locator(".message").last).to_contain_text("Seen by asking every second")


def test_a_button_in_a_modal_sends_what_is_typed_and_an_update_keeps_it(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    def answer(request: Received, count: int) -> None:
        if request.path == "/slack/slash_command":
            web.views_open(trigger_id=request.form["trigger_id"], view=load("modal.json"))
        elif request.path == "/slack/action" and request.payload["type"] == "block_actions":
            updated = load("modal.json")
            note = {"type": "mrkdwn", "text": "Refreshed from the server"}
            updated["blocks"].append({"type": "context", "elements": [note]})
            web.views_update(view_id=request.payload["view"]["id"], view=updated)

    receiver.answer = answer
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("/incident")
    composer.press("Enter")
    modal = page.get_by_role("dialog", name="Report an incident")
    modal.get_by_label("Title").fill("Typed before the refresh")

    modal.get_by_role("button", name="Refresh").click()
    expect(modal).to_contain_text("Refreshed from the server")
    expect(modal.get_by_label("Title")).to_have_value("Typed before the refresh")
    payload = wait_for_interaction(receiver, "block_actions")
    assert payload["container"] == {"type": "view", "view_id": payload["view"]["id"]}
    assert payload["view"]["state"]["values"]["title"]["title"] == {
        "type": "plain_text_input",
        "value": "Typed before the refresh",
    }


# --- The lifecycle's controls: the headline's Status menu, the report modal's boxes -------------


def test_a_status_menu_on_a_headline_sends_the_chosen_option(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    blocks = load("headline_status_menu.json")["blocks"]
    posted = web.chat_postMessage(channel=INCIDENTS, text="Payments are failing", blocks=blocks)
    message = page.locator(f".message[data-ts='{posted['ts']}']")
    menu = message.locator("select[data-action-id='incident-status-menu']")
    expect(menu.locator("option:checked")).to_have_text("Status: Investigating")  # placeholder

    menu.select_option(label="🛠️ Fixing")

    payload = wait_for_interaction(receiver, "block_actions")
    (action,) = payload["actions"]
    assert (action["type"], action["action_id"], action["block_id"]) == (
        "static_select",
        "incident-status-menu",
        "incident-actions",
    )
    # The whole option, as Slack's client sends it back, not just its value.
    assert action["selected_option"] == blocks[1]["elements"][1]["options"][0]
    assert "value" not in action
    assert payload["container"]["message_ts"] == posted["ts"]

    # The same kind of menu as a section's accessory shows its initial option and answers too.
    accessory = message.locator("select[data-action-id='incident-status-accessory']")
    expect(accessory.locator("option:checked")).to_have_text("🔍 Investigating")
    accessory.select_option(value="7:fixing")
    action = wait_for_interaction(receiver, "block_actions", 2)["actions"][0]
    assert (action["block_id"], action["selected_option"]["value"]) == (
        "status-accessory",
        "7:fixing",
    )


def test_a_headline_updated_with_a_new_status_shows_its_new_menu(
    page: Page, web: WebClient
) -> None:
    blocks = load("headline_status_menu.json")["blocks"]
    posted = web.chat_postMessage(channel=INCIDENTS, text="Payments are failing", blocks=blocks)
    message = page.locator(f".message[data-ts='{posted['ts']}']")
    menu = message.locator("select[data-action-id='incident-status-menu']")
    expect(menu.locator("option")).to_have_count(4)  # the placeholder and three moves

    moved = json.loads(json.dumps(blocks))
    moved[1]["elements"][1]["placeholder"]["text"] = "Status: Fixing"
    moved[1]["elements"][1]["options"] = moved[1]["elements"][1]["options"][1:]
    web.chat_update(channel=INCIDENTS, ts=posted["ts"], text="Payments are failing", blocks=moved)

    expect(menu.locator("option:checked")).to_have_text("Status: Fixing")
    expect(menu.locator("option")).to_have_text(["Status: Fixing", "👀 Monitoring", "✅ Resolved"])


def open_boxes_modal(receiver: Receiver, web: WebClient) -> None:
    def answer(request: Received, count: int) -> None:
        if request.path == "/slack/slash_command":
            web.views_open(
                trigger_id=request.form["trigger_id"], view=load("modal_tick_boxes.json")
            )

    receiver.answer = answer


def test_tick_boxes_render_and_submit_in_slacks_state_shape(
    page: Page, web: WebClient, receiver: Receiver
) -> None:
    open_boxes_modal(receiver, web)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("/incident payments")
    composer.press("Enter")
    modal = page.get_by_role("dialog", name="Report an incident")
    not_sure = modal.get_by_role("checkbox", name="Not sure yet")
    drill = modal.get_by_role("checkbox", name="This is a drill")
    expect(not_sure).not_to_be_checked()
    expect(drill).to_be_checked()  # its initial_options
    expect(modal.locator(".block-input[data-block-id='triage']")).to_contain_text(
        "It starts in triage."
    )  # the option's description
    expect(modal.locator(".block-input[data-block-id='triage']")).to_contain_text("(optional)")

    not_sure.check()
    drill.uncheck()
    modal.get_by_role("checkbox", name="Web").check()
    modal.get_by_role("checkbox", name="API").check()
    modal.get_by_role("button", name="Report").click()

    expect(modal).to_be_hidden()
    values = wait_for_interaction(receiver, "view_submission")["view"]["state"]["values"]
    view = load("modal_tick_boxes.json")
    options = {b["block_id"]: b["element"]["options"] for b in view["blocks"][1:]}
    assert values["triage"] == {
        "triage": {"type": "checkboxes", "selected_options": options["triage"]}
    }
    # Unticked is an empty list, not a missing input: Slack sends every input of the view.
    assert values["drill"] == {"drill": {"type": "checkboxes", "selected_options": []}}
    assert values["areas"]["areas"]["selected_options"] == [
        options["areas"][0],
        options["areas"][2],
    ]
