"""Correcting one timeline entry of the postmortem: its form is fetched when asked for, not
carried by the page once per entry, and a refused text comes back with the reason."""

from __future__ import annotations

import re

import pytest

from core import services
from core.models import TimelineEdit
from tests.ui import builders

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice():
    return builders.slack_user("U0ALICE", "alice")


@pytest.fixture
def fire(alice):
    return builders.incident("Payments are failing", reporter=alice, lead=alice)


def postmortem_page(client, incident) -> str:
    response = client.get(f"/incident/{incident.pk}/postmortem/")
    assert response.status_code == 200
    return response.content.decode()


def add_notes(incident, author, count: int) -> list:
    return [
        services.timeline_note_add(incident=incident, text=f"Note {n} <@U0ALICE>", author=author)
        for n in range(count)
    ]


def test_the_page_carries_no_form_per_entry(logged_in, fire, alice):
    add_notes(fire, alice, 1)
    one = postmortem_page(logged_in, fire)
    add_notes(fire, alice, 40)
    many = postmortem_page(logged_in, fire)

    for mark in ("<textarea", "csrfmiddlewaretoken", "<form"):
        assert many.count(mark) == one.count(mark), mark
    assert many.count("Edit text") == 41 and many.count('form="timeline-curation"') == 41


def test_the_form_is_swapped_in_alone_or_is_a_page_without_scripts(logged_in, fire, alice):
    (note,) = add_notes(fire, alice, 1)

    part = logged_in.get(f"/timeline/{note.pk}/edit/", **HTMX)
    page = logged_in.get(f"/timeline/{note.pk}/edit/")

    assert part.status_code == page.status_code == 200
    part_html, page_html = part.content.decode(), page.content.decode()
    stored = "Note 0 &lt;@U0ALICE&gt;"  # the text as stored, Slack's markup and all, escaped
    assert stored in part_html and stored in page_html
    assert "<html" not in part_html and "<html" in page_html
    assert f'href="/incident/{fire.pk}/postmortem/#entry-{note.pk}"' in page_html
    assert re.search(r'name="csrfmiddlewaretoken" value="\w+"', part_html)


def test_a_saved_text_goes_back_to_the_entry_on_the_page(logged_in, fire, alice):
    (note,) = add_notes(fire, alice, 1)

    response = logged_in.post(f"/timeline/{note.pk}/edit/", {"text": "Rolled back, corrected"})

    assert response.status_code == 302
    assert response["Location"] == f"/incident/{fire.pk}/postmortem/#entry-{note.pk}"
    note.refresh_from_db()
    assert note.text == "Rolled back, corrected"
    assert "Rolled back, corrected" in postmortem_page(logged_in, fire)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "swapped in"])
def test_an_empty_text_is_refused_with_the_reason_and_changes_nothing(
    logged_in, fire, alice, headers
):
    (note,) = add_notes(fire, alice, 1)

    response = logged_in.post(f"/timeline/{note.pk}/edit/", {"text": "   "}, **headers)

    assert response.status_code == 400
    assert 'data-testid="error-text"' in response.content.decode()
    note.refresh_from_db()
    assert note.text == "Note 0 <@U0ALICE>"
    assert not TimelineEdit.objects.filter(entry=note).exists()


def test_signed_out_the_swapped_in_form_sends_the_whole_page_to_log_in(client, fire, alice):
    (note,) = add_notes(fire, alice, 1)
    came_from = f"http://testserver/incident/{fire.pk}/postmortem/"

    part = client.get(f"/timeline/{note.pk}/edit/", HTTP_HX_CURRENT_URL=came_from, **HTMX)
    page = client.get(f"/timeline/{note.pk}/edit/")

    # Not a redirect, which htmx would follow itself and swap the login page into the entry.
    assert part.status_code == 200 and part.content == b""
    assert part["HX-Redirect"] == f"/login/?next=/incident/{fire.pk}/postmortem/"
    assert page.status_code == 302 and page["Location"].startswith("/login/?next=/timeline/")
