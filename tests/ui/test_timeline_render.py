"""The incident page keeps its rendered timeline between views (ui/timeline_render.py, SPEC §19),
and never serves one that is out of date: every write to the timeline, however it is made, and
every rename of someone or some channel it shows, is on the next view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import selectors, services
from core.models import TimelineEdit, TimelineEditKind, TimelineEvent, TimelineEventKind
from tests.races import Race
from tests.ui import builders

pytestmark = pytest.mark.django_db

TIMELINE_READ = 'FROM "core_timelineevent"'
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


@pytest.fixture
def fire(alice, bob):
    incident = builders.incident("Payments are failing", reporter=alice, lead=alice)
    services.timeline_source_upsert(
        incident=incident,
        source_ref="pin:1",
        kind=TimelineEventKind.PINNED_MESSAGE,
        text="Queue stuck, <@U0BOB> is on it",
        author=alice,
        time=timezone.now() - dt.timedelta(minutes=5),
        metadata={},
    )
    return incident


def page(client, incident, **cookies) -> str:
    client.cookies.load(cookies)
    response = client.get(f"/incident/{incident.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def timeline_reads(client, incident) -> int:
    with CaptureQueriesContext(connection) as captured:
        page(client, incident)
    return sum(TIMELINE_READ in query["sql"] for query in captured.captured_queries)


def test_a_second_view_serves_the_kept_render(logged_in, fire):
    assert timeline_reads(logged_in, fire) == 1
    assert timeline_reads(logged_in, fire) == 0
    assert "Queue stuck, " in page(logged_in, fire)


def test_a_kept_render_gives_the_same_rows_and_page_as_a_fresh_one(logged_in, fire):
    fresh = logged_in.get(f"/incident/{fire.pk}/")
    kept = logged_in.get(f"/incident/{fire.pk}/")

    assert list(kept.context["doc"].timeline) == list(fresh.context["doc"].timeline)
    # Each page's CSRF token is masked afresh (the logout form has one).
    assert CSRF_INPUT.sub("", kept.content.decode()) == CSRF_INPUT.sub("", fresh.content.decode())


def _note(incident, author):
    services.timeline_note_add(incident=incident, text="Rolled back the deploy", author=author)


def _edit(incident, author):
    entry = TimelineEvent.objects.get(incident=incident)
    services.timeline_entry_edit(entry=entry, text="Rolled back the deploy", editor=None)


def _pin_again(incident, author):
    services.timeline_source_upsert(
        incident=incident,
        source_ref="pin:1",
        kind=TimelineEventKind.PINNED_MESSAGE,
        text="Rolled back the deploy",
        author=author,
        time=timezone.now(),
        metadata={},
    )


def _bulk_create(incident, author):
    TimelineEvent.objects.bulk_create(
        [TimelineEvent(incident=incident, kind="note", text="Rolled back the deploy")]
    )


def _queryset_update(incident, author):
    TimelineEvent.objects.filter(incident=incident).update(text="Rolled back the deploy")


WRITES_THAT_ADD = [_note, _edit, _pin_again, _bulk_create, _queryset_update]


@pytest.mark.parametrize("write", WRITES_THAT_ADD, ids=lambda write: write.__name__.strip("_"))
def test_every_write_is_on_the_next_view(logged_in, fire, alice, write):
    assert "Rolled back the deploy" not in page(logged_in, fire)

    write(fire, alice)

    assert "Rolled back the deploy" in page(logged_in, fire)


def _hide(incident):
    entry = TimelineEvent.objects.get(incident=incident)
    services.timeline_entry_hide(entry=entry, hidden=True, editor=None)


def _unpin(incident):
    services.timeline_source_remove(incident=incident, source_ref="pin:1")


def _delete(incident):
    TimelineEvent.objects.filter(incident=incident).delete()


@pytest.mark.parametrize("write", [_hide, _unpin, _delete], ids=lambda w: w.__name__.strip("_"))
def test_an_entry_taken_off_leaves_the_next_view(logged_in, fire, write):
    assert "Queue stuck" in page(logged_in, fire)

    write(fire)

    assert "Queue stuck" not in page(logged_in, fire)


def test_a_renamed_person_shows_by_their_new_name(logged_in, fire, alice, bob):
    before = page(logged_in, fire)
    assert '<span class="mention">@bob</span>' in before
    assert '<span class="author">alice</span>' in before

    services.external_user_upsert(external_id="U0BOB", display_name="robert")
    services.external_user_upsert(external_id="U0ALICE", display_name="alicia")

    after = page(logged_in, fire)
    assert '<span class="mention">@robert</span>' in after
    assert '<span class="author">alicia</span>' in after


def test_each_time_zone_gets_its_own_render(logged_in, fire):
    entry = TimelineEvent.objects.get(incident=fire)
    TimelineEvent.objects.filter(pk=entry.pk).update(
        time=dt.datetime(2025, 6, 3, 13, 5, tzinfo=dt.UTC)
    )

    assert "3 Jun 2025, 13:05 UTC" in page(logged_in, fire, tz="UTC")
    assert "3 Jun 2025, 15:05 CEST" in page(logged_in, fire, tz="Europe/Paris")
    assert "3 Jun 2025, 13:05 UTC" in page(logged_in, fire, tz="UTC")


def test_the_version_moves_with_each_write_in_its_own_transaction(fire, alice):
    before = selectors.timeline_version(incident=fire)
    with transaction.atomic():
        _note(fire, alice)
        _note(fire, alice)
    assert selectors.timeline_version(incident=fire) == before + 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_each_move_the_version():
    alice = builders.slack_user("U0ALICE", "alice")
    fire = builders.incident("Payments are failing", reporter=alice, lead=alice)
    before = selectors.timeline_version(incident=fire)

    Race(*[lambda: _note(fire, alice) for _ in range(4)]).start().join()

    assert selectors.timeline_version(incident=fire) == before + 4


# --- The postmortem page's timeline: every entry, its history and its forms -------------------


def postmortem_page(client, incident) -> str:
    response = client.get(f"/incident/{incident.pk}/postmortem/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_kept_postmortem_timeline_carries_each_viewers_own_csrf_token(logged_in, fire):
    postmortem_page(logged_in, fire)  # kept, rendered for the first viewer
    other = Client(enforce_csrf_checks=True)
    other.force_login(builders.login_user("other"))
    entry = TimelineEvent.objects.get(incident=fire)

    tokens = set(CSRF_INPUT.findall(postmortem_page(other, fire)))

    assert tokens, "the page has forms"
    for token in tokens:
        response = other.post(
            f"/timeline/{entry.pk}/hide/", {"hidden": "1", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302, token


def test_an_entrys_new_history_is_on_the_next_postmortem_page(logged_in, fire):
    assert "History (1)" not in postmortem_page(logged_in, fire)

    TimelineEdit.objects.create(
        entry=TimelineEvent.objects.get(incident=fire),
        kind=TimelineEditKind.TEXT,
        old_value="before",
        new_value="after",
        editor_name="carol",
    )

    assert "History (1)" in postmortem_page(logged_in, fire)


def test_a_hidden_entry_is_marked_on_the_next_postmortem_page(logged_in, fire):
    assert 'data-testid="hidden"' not in postmortem_page(logged_in, fire)

    _hide(fire)

    assert 'data-testid="hidden"' in postmortem_page(logged_in, fire)
