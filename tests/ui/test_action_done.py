"""Ticking a follow-up on the incident document marks it done; unticking reopens it.

A plain form POST (CSRF-protected, works without script) to ``/action/<id>/done/``, then back to
the document, which shows the new state.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core import services
from core.models import Action
from tests.ui import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    return builders.incident("Payments are failing")


@pytest.fixture
def open_action(incident):
    return services.action_log(incident=incident, details="Add an alert")


@pytest.fixture
def done_action(incident):
    return services.action_log(incident=incident, details="Write it up", done=True)


def url(action: Action) -> str:
    return f"/action/{action.pk}/done/"


def checkbox(html: str, action: Action) -> str:
    """The follow-up's checkbox tag in the page."""
    match = re.search(rf'<input[^>]*id="action-{action.pk}-done"[^>]*>', html)
    assert match, f"no checkbox for action {action.pk}"
    return match.group(0)


def test_the_document_has_a_form_per_follow_up(logged_in, open_action, done_action):
    html = logged_in.get(f"/incident/{open_action.incident_id}/").content.decode()

    for action in (open_action, done_action):
        form = re.search(rf'<form[^>]*action="{url(action)}"[^>]*>(.*?)</form>', html, re.S)
        assert form, f"no form posting to {url(action)}"
        assert 'method="post"' in form.group(0)
        assert "csrfmiddlewaretoken" in form.group(1)
        assert 'type="checkbox"' in checkbox(form.group(1), action)
    assert "checked" not in checkbox(html, open_action)
    assert "checked" in checkbox(html, done_action)


def test_ticking_marks_it_done_and_the_page_shows_it(logged_in, open_action):
    response = logged_in.post(url(open_action), {"done": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"/incident/{open_action.incident_id}/#action-{open_action.pk}"
    open_action.refresh_from_db()
    assert open_action.done is True
    assert open_action.done_at is not None
    page = logged_in.get(response["Location"]).content.decode()
    assert "checked" in checkbox(page, open_action)


def test_unticking_reopens_it(logged_in, done_action):
    response = logged_in.post(url(done_action), {})

    assert response.status_code == 302
    done_action.refresh_from_db()
    assert done_action.done is False
    assert done_action.done_at is None
    page = logged_in.get(response["Location"]).content.decode()
    assert "checked" not in checkbox(page, done_action)


def test_ticking_twice_keeps_it_done(logged_in, open_action):
    logged_in.post(url(open_action), {"done": "on"})
    open_action.refresh_from_db()
    first_done_at = open_action.done_at

    logged_in.post(url(open_action), {"done": "on"})

    open_action.refresh_from_db()
    assert open_action.done is True
    assert open_action.done_at == first_done_at


def test_a_get_changes_nothing(logged_in, open_action):
    response = logged_in.get(url(open_action), {"done": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"/incident/{open_action.incident_id}/#action-{open_action.pk}"
    open_action.refresh_from_db()
    assert open_action.done is False


@pytest.mark.parametrize("method", ["post", "get"])
def test_an_unknown_follow_up_is_404(logged_in, method):
    assert getattr(logged_in, method)("/action/987654/done/", {"done": "on"}).status_code == 404


def test_csrf_is_enforced(open_action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(builders.login_user())

    refused = client.post(url(open_action), {"done": "on"})

    assert refused.status_code == 403
    open_action.refresh_from_db()
    assert open_action.done is False

    page = client.get(f"/incident/{open_action.incident_id}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    accepted = client.post(url(open_action), {"done": "on", "csrfmiddlewaretoken": token})

    assert accepted.status_code == 302
    open_action.refresh_from_db()
    assert open_action.done is True


def test_logged_out_is_sent_to_log_in(client, open_action):
    response = client.post(url(open_action), {"done": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    open_action.refresh_from_db()
    assert open_action.done is False
