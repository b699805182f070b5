"""Password guessing is throttled (SPEC §18): after five failed sign-ins for one account, or from
one address, that account or address is refused for a while, on the login page, the admin and
Basic auth on the API alike, with a clear message; admins see the lock."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model

from tests.ui import builders

pytestmark = pytest.mark.django_db

LIMIT = 5
LOCKED = "Too many failed sign-ins"


def _login_page(client, username: str, password: str, address: str = "198.51.100.7", **extra):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def _basic(client, username: str, password: str, address: str = "198.51.100.7"):
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get("/core/incidents/", HTTP_AUTHORIZATION=f"Basic {pair}", REMOTE_ADDR=address)


def test_an_account_is_locked_after_five_failures_from_anywhere(client):
    builders.login_user("alice")
    builders.login_user("bob")
    for n in range(LIMIT - 1):
        assert _login_page(client, "alice", "guess", address=f"203.0.113.{n}").status_code == 200
    fifth = _login_page(client, "alice", "guess", address="203.0.113.98")
    assert fifth.status_code == 429, "the fifth failure is told of the lock at once"

    locked = _login_page(client, "alice", builders.PASSWORD, address="203.0.113.99")

    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session, "the right password does not get in while locked"
    other = _login_page(client, "bob", builders.PASSWORD, address="203.0.113.99")
    assert other.status_code == 302, "another account from that address is not locked"


def test_an_address_is_locked_after_five_failures_whatever_the_accounts(client):
    builders.login_user("carol")
    for n in range(LIMIT):
        _login_page(client, f"nobody{n}", "guess", address="192.0.2.10")

    from_there = _login_page(client, "carol", builders.PASSWORD, address="192.0.2.10")
    elsewhere = _login_page(client, "carol", builders.PASSWORD, address="192.0.2.11")

    assert from_there.status_code == 429
    assert LOCKED in from_there.content.decode()
    assert elsewhere.status_code == 302


def test_the_admin_login_is_throttled_too(client):
    get_user_model().objects.create_superuser("root", "root@example.com", builders.PASSWORD)
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "root", "password": "guess"})

    locked = client.post("/admin/login/", {"username": "root", "password": builders.PASSWORD})

    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()


def test_basic_auth_on_the_api_is_throttled_with_a_json_reason(client):
    builders.login_user("script")
    for _ in range(LIMIT - 1):
        assert _basic(client, "script", "guess").status_code == 401
    assert _basic(client, "script", "guess").status_code == 429

    locked = _basic(client, "script", builders.PASSWORD)

    assert locked.status_code == 429
    assert LOCKED in locked.json()["detail"]


def test_a_success_before_the_limit_starts_the_count_again(client):
    builders.login_user("dave")
    for _ in range(LIMIT - 1):
        _login_page(client, "dave", "guess")
    assert _login_page(client, "dave", builders.PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        _login_page(client, "dave", "guess")

    assert _login_page(client, "dave", builders.PASSWORD).status_code == 302


def test_admins_see_the_lock_and_can_lift_it(client):
    builders.login_user("erin")
    for _ in range(LIMIT):
        _login_page(client, "erin", "guess")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)

    listed = client.get("/admin/axes/accessattempt/")

    assert listed.status_code == 200
    assert "erin" in listed.content.decode()


def test_behind_a_trusted_proxy_people_are_told_apart_by_their_forwarded_address(client, settings):
    """Every request reaches Response from the load balancer's address; one person's guessing
    must lock that person's address, not the load balancer's (everyone)."""
    settings.TRUSTED_PROXY_COUNT = 1
    builders.login_user("frank")
    balancer = "10.0.0.2"

    def through_the_balancer(username: str, password: str, person: str):
        # The client may send any X-Forwarded-For; the balancer appends what it saw.
        return _login_page(
            client, username, password, address=balancer, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {person}"
        )

    for n in range(LIMIT):
        through_the_balancer(f"nobody{n}", "guess", person="198.51.100.50")

    assert through_the_balancer("frank", builders.PASSWORD, "198.51.100.50").status_code == 429
    assert through_the_balancer("frank", builders.PASSWORD, "198.51.100.51").status_code == 302
