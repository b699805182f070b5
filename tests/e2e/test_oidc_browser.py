"""Signing in with the company's provider, in Chromium (SPEC §18): the login page's button, the
provider's own sign-in and consent pages (node's oidc-provider, run locally), and back into
Response signed in. Screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import SCREENSHOTS
from tests.oidc.provider import response_signing_in_at
from tests.ui import builders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server, settings) -> Iterator[None]:
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    with response_signing_in_at(live_server, settings):
        yield


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_at_the_provider(page: Page, login: str) -> None:
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent


def test_a_slack_user_signs_in_with_the_provider(provider, live_server, page):
    alice = builders.slack_user("U0ALICE", "alice")
    alice.email = "alice@example.com"
    alice.save()
    builders.incident("Payments are failing", reporter=alice)

    page.goto(live_server.url + "/insights/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/insights/")
    shot(page, "sso-01-login-page")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    sign_in_at_the_provider(page, "alice")

    expect(page).to_have_url(live_server.url + "/insights/")
    page.goto(live_server.url + "/")
    expect(page.get_by_text("Payments are failing")).to_be_visible()
    shot(page, "sso-02-signed-in")


def test_someone_nobody_knows_is_told_why_on_the_login_page(provider, live_server, page):
    page.goto(live_server.url + "/login/")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    sign_in_at_the_provider(page, "mallory")

    expect(page).to_have_url(live_server.url + "/login/")
    refusal = page.get_by_test_id("sign-in-messages")
    expect(refusal).to_contain_text("mallory@elsewhere.example")
    expect(refusal).to_contain_text("Ask an administrator")
    shot(page, "sso-03-unknown-email")
