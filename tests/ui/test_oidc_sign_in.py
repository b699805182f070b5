"""Signing in through the company's OpenID Connect provider (SPEC §18), against a real provider
(node's oidc-provider, started locally): discovery, RS256 and HS256, people linked to their Slack
user by email, and every way a sign-in can be forged or go stale refused with a clear message and
nothing created."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

from core.models import ExternalUser
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, Provider, response_signing_in_at
from tests.ui import builders
from ui import oidc

pytestmark = pytest.mark.django_db(transaction=True)

FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@pytest.fixture(params=["RS256", "HS256"])
def provider(request, live_server, settings) -> Iterator[Provider]:
    with response_signing_in_at(live_server, settings, request.param) as running:
        yield running


@pytest.fixture
def rs256_provider(live_server, settings) -> Iterator[Provider]:
    with response_signing_in_at(live_server, settings, "RS256") as running:
        yield running


@pytest.fixture
def alice_in_slack() -> ExternalUser:
    return builders.slack_user("U0ALICE", "alice")


def _with_email(user: ExternalUser, email: str) -> ExternalUser:
    user.email = email
    user.save(update_fields=["email"])
    return user


def to_the_callback(browser: requests.Session, base: str, login: str, next_path: str = "") -> str:
    """Start a sign-in at Response, sign in and consent at the provider; the callback URL the
    provider sends the browser back to (not followed)."""
    page = browser.get(f"{base}/oidc/authenticate/{next_path and '?next=' + next_path}")
    for prompt in ("login", "consent"):
        action = urljoin(page.url, FORM_ACTION.search(page.text).group(1))
        fields = {"prompt": prompt, "login": login, "password": "any"}
        page = browser.post(action, data=fields, allow_redirects=False)
        while page.is_redirect and "/oidc/callback/" not in page.headers["Location"]:
            page = browser.get(urljoin(page.url, page.headers["Location"]), allow_redirects=False)
        if page.is_redirect:
            return urljoin(page.url, page.headers["Location"])
    raise AssertionError(f"the provider did not send the browser back:\n{page.text[:2000]}")


def finish(browser: requests.Session, callback: str) -> requests.Response:
    return browser.get(callback)


def _signed_in_as(page: requests.Response) -> bool:
    return urlsplit(page.url).path != "/login/"


def _messages(page: requests.Response) -> str:
    found = re.search(r'data-testid="sign-in-messages">(.*?)</div>', page.text, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip() if found else ""


def test_the_login_page_offers_the_provider(provider, live_server):
    page = requests.get(f"{live_server.url}/login/", timeout=10)

    assert "Sign in with" in page.text
    assert 'name="password"' in page.text, "passwords stay unless OIDC_ONLY"


def test_a_slack_user_signs_in_and_gets_a_login_linked_to_them(
    provider, live_server, alice_in_slack
):
    _with_email(alice_in_slack, "alice@example.com")
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "alice", "/insights/"))

    assert _signed_in_as(landed), _messages(landed)
    assert urlsplit(landed.url).path == "/insights/", "back where the sign-in started"
    login = get_user_model().objects.get(email="alice@example.com")
    assert not login.has_usable_password()
    alice_in_slack.refresh_from_db()
    assert alice_in_slack.owner == login


def test_an_existing_login_is_found_by_email_whatever_its_case(provider, live_server):
    existing = builders.login_user("bob")
    existing.email = "bob@example.com"
    existing.save()
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "bob"))

    assert _signed_in_as(landed), _messages(landed)
    assert get_user_model().objects.filter(email__iexact="bob@example.com").count() == 1


def test_an_unknown_email_is_refused_and_nothing_is_created(provider, live_server):
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "mallory"))

    assert not _signed_in_as(landed)
    assert "mallory@elsewhere.example" in _messages(landed)
    assert "Ask an administrator" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_an_email_the_provider_has_not_verified_is_refused(rs256_provider, live_server):
    _with_email(builders.slack_user("U0CAROL", "carol"), "carol@example.com")
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "unverified"))

    assert not _signed_in_as(landed)
    assert "not verified" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_a_forged_state_is_refused(rs256_provider, live_server, alice_in_slack):
    _with_email(alice_in_slack, "alice@example.com")
    browser = requests.Session()
    callback = to_the_callback(browser, live_server.url, "alice")
    forged = re.sub(r"state=[^&]+", "state=forged", callback)

    landed = finish(browser, forged)

    assert not _signed_in_as(landed)
    assert "could not be matched" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_a_callback_used_twice_is_refused_the_second_time(
    rs256_provider, live_server, alice_in_slack
):
    _with_email(alice_in_slack, "alice@example.com")
    browser = requests.Session()
    callback = to_the_callback(browser, live_server.url, "alice")
    assert _signed_in_as(finish(browser, callback))
    browser.post(f"{live_server.url}/logout/", data={})  # no CSRF token: stays signed in
    stranger = requests.Session()
    stranger.cookies.update({"sessionid": "nothing-here"})

    replayed = finish(stranger, callback)

    assert not _signed_in_as(replayed)


def test_a_nonce_that_does_not_match_is_refused(rs256_provider, live_server, alice_in_slack):
    _with_email(alice_in_slack, "alice@example.com")
    browser = requests.Session()
    callback = to_the_callback(browser, live_server.url, "alice")
    # What a token minted for another sign-in looks like: the nonce this sign-in expects differs.
    session = SessionStore(session_key=browser.cookies["sessionid"])
    states = session["oidc_states"]
    for state in states.values():
        state["nonce"] = "another-sign-ins-nonce"
    session["oidc_states"] = states
    session.save()

    landed = finish(browser, callback)

    assert not _signed_in_as(landed)
    assert "nonce" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_a_token_signed_with_another_key_is_refused(
    rs256_provider, live_server, settings, alice_in_slack
):
    _with_email(alice_in_slack, "alice@example.com")
    someone_elses = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    settings.OIDC_RP_IDP_SIGN_KEY = someone_elses.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "alice"))

    assert not _signed_in_as(landed)
    assert "signature" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_an_expired_token_is_refused(rs256_provider, live_server, monkeypatch, alice_in_slack):
    _with_email(alice_in_slack, "alice@example.com")
    browser = requests.Session()
    callback = to_the_callback(browser, live_server.url, "alice")
    # Response checks the token a day later than it was issued (the provider's tokens live 1 h).
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)

    class Tomorrow(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return later if tz else later.replace(tzinfo=None)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Tomorrow)

    landed = finish(browser, callback)

    assert not _signed_in_as(landed)
    assert "expired" in _messages(landed)
    assert not get_user_model().objects.exists()


def test_a_deactivated_login_is_refused(rs256_provider, live_server):
    existing = builders.login_user("alice")
    existing.email = "alice@example.com"
    existing.is_active = False
    existing.save()
    browser = requests.Session()

    landed = finish(browser, to_the_callback(browser, live_server.url, "alice"))

    assert not _signed_in_as(landed)
    assert "deactivated" in _messages(landed)


def test_with_oidc_only_passwords_let_nobody_in(rs256_provider, live_server, settings, client):
    settings.OIDC_ONLY = True
    builders.login_user("responder")

    page = requests.get(f"{live_server.url}/login/", timeout=10)
    posted = client.post(
        "/login/", {"username": "responder", "password": builders.PASSWORD}, follow=True
    )
    admin = client.post("/admin/login/", {"username": "responder", "password": builders.PASSWORD})
    basic = requests.get(
        f"{live_server.url}/core/incidents/", auth=("responder", builders.PASSWORD), timeout=10
    )

    assert 'name="password"' not in page.text
    assert "Sign in with" in page.text
    assert "_auth_user_id" not in client.session
    assert "turned off" in posted.content.decode()
    assert admin.status_code == 200, "the admin's form is shown again, refused"
    assert basic.status_code == 401


def test_an_unreachable_provider_is_said_on_the_login_page(live_server, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    oidc.forget_discovery()
    builders.login_user("responder")

    landed = requests.get(f"{live_server.url}/oidc/authenticate/", timeout=30)
    with_password = requests.get(
        f"{live_server.url}/core/incidents/", auth=("responder", builders.PASSWORD), timeout=30
    )

    assert urlsplit(landed.url).path == "/login/"
    assert "could not be reached" in _messages(landed)
    assert with_password.status_code == 200, "password sign-ins do not depend on the provider"
