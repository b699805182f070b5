"""The admin's *Setup check* page in a real browser, against ``make run`` and the Slack sandbox.

An admin signs in through the admin's login form, follows the link on the admin's index and reads
the same checks as ``manage.py doctor``; with the sandbox told that scopes are missing, the page
names them and says to reinstall. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import SCREENSHOTS
from tests.e2e.sandbox_stack import SandboxStack, sandbox_stack  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow

# Every check of an HTTP-mode setup with no workflow enabled.
CHECKS_IN_HTTP_MODE = 12


@pytest.fixture
def stack(sandbox_stack: SandboxStack) -> Iterator[SandboxStack]:  # noqa: F811 (the fixture)
    """The running stack; whatever a test misconfigures is undone for the tests after it."""
    yield sandbox_stack
    sandbox_stack.sandbox.request("DELETE", "/sandbox/misconfig")


@pytest.fixture
def admin_page(browser: Browser, stack: SandboxStack) -> Iterator[Page]:
    """A page signed in as the admin ``make run`` created, on the admin's index."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)  # the page runs every check, Slack's included
    page = context.new_page()
    page.goto(f"{stack.response_url}/admin/login/?next=/admin/")
    page.fill("#id_username", stack.admin_username)
    page.fill("#id_password", stack.admin_password)
    page.click("input[type=submit]")
    expect(page.locator("#setup-check-link")).to_be_visible()
    yield page
    context.close()


def row(page: Page, check: str):
    return page.locator(f"#setup-check tr[data-check='{check}']")


def test_the_admin_follows_the_link_and_sees_every_check_pass(admin_page):
    admin_page.click("#setup-check-link a")

    expect(admin_page).to_have_title("Setup check | Django site admin")
    expect(admin_page.locator("#setup-summary")).to_have_text(
        f"Setup check: {CHECKS_IN_HTTP_MODE} ok, 0 warn, 0 fail"
    )
    expect(admin_page.locator("#setup-check tbody tr")).to_have_count(CHECKS_IN_HTTP_MODE)
    expect(admin_page.locator("#setup-check tbody tr.setup-ok")).to_have_count(CHECKS_IN_HTTP_MODE)
    admin_page.screenshot(path=str(SCREENSHOTS / "admin-setup-check-ok.png"), full_page=True)


def test_missing_scopes_show_as_a_failure_with_the_fix(admin_page, stack):
    stack.sandbox.post("/sandbox/misconfig", {"missing_scopes": ["pins:read"]})

    admin_page.click("#setup-check-link a")

    scopes = row(admin_page, "scopes")
    expect(scopes).to_have_class("setup-fail")
    expect(scopes).to_contain_text("missing pins:read")
    expect(scopes).to_contain_text("reinstall the app to the workspace")
    expect(admin_page.locator("#setup-summary")).to_have_class("errornote")
    expect(admin_page.locator("#setup-summary")).to_contain_text("1 fail (scopes)")
    admin_page.screenshot(path=str(SCREENSHOTS / "admin-setup-check-fail.png"), full_page=True)
