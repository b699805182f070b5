"""Per-person API tokens (SPEC §18): made and revoked in the admin, sent as
``Authorization: Token …``, refused once revoked or once the person is deactivated; Basic auth
keeps working beside them."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tests.ui import builders

pytestmark = pytest.mark.django_db


def _with_token(client, key: str):
    return client.get("/core/incidents/", HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_a_token_made_in_the_admin_opens_the_api_for_its_person(admin_client, client):
    person = builders.login_user("script-owner")

    made = admin_client.post("/admin/authtoken/tokenproxy/add/", {"user": person.pk})

    assert made.status_code == 302, made.content.decode()[:2000]
    key = Token.objects.get(user=person).key
    admin_client.post("/logout/")
    answer = _with_token(client, key)
    assert answer.status_code == 200
    assert "results" in answer.json()


def test_the_admin_lists_whose_tokens_exist(admin_client):
    Token.objects.create(user=builders.login_user("ci-bot"))

    listed = admin_client.get("/admin/authtoken/tokenproxy/")

    assert listed.status_code == 200
    assert "ci-bot" in listed.content.decode()


def test_a_revoked_token_is_refused(admin_client, client):
    person = builders.login_user("leaver")
    token = Token.objects.create(user=person)

    # The admin names a token by its person, so the key never appears in a URL.
    revoked = admin_client.post(f"/admin/authtoken/tokenproxy/{person.pk}/delete/", {"post": "yes"})

    assert revoked.status_code == 302
    assert not Token.objects.filter(user=person).exists()
    admin_client.post("/logout/")
    assert _with_token(client, token.key).status_code == 401


def test_the_token_of_a_deactivated_person_is_refused_with_the_reason(client):
    person = builders.login_user("deactivated")
    token = Token.objects.create(user=person)
    person.is_active = False
    person.save()

    answer = _with_token(client, token.key)

    assert answer.status_code == 401
    assert "inactive" in answer.json()["detail"].lower()


def test_an_unknown_token_is_refused_and_nothing_is_created(client):
    answer = client.post(
        "/core/incidents/",
        {"title": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567",
    )

    assert answer.status_code == 401
    from core.models import Incident

    assert not Incident.objects.exists()


def test_basic_auth_still_works_beside_tokens(client):
    builders.login_user("basic-user")
    pair = base64.b64encode(f"basic-user:{builders.PASSWORD}".encode()).decode()

    assert client.get("/core/incidents/", HTTP_AUTHORIZATION=f"Basic {pair}").status_code == 200
