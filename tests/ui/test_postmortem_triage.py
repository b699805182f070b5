"""Adding timeline notes and triaging follow-ups on the postmortem page (SPEC §16), through the
web: times read in the viewer's zone, refused forms shown again with their errors, and a page
whose query count does not grow with its follow-ups or their owners."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import services
from core.models import Action, ActionPriority, ActionStatus, TimelineEdit, TimelineEvent
from tests.ui import builders

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def people():
    return builders.slack_user("U0ALICE", "alice"), builders.slack_user("U0BOB", "bob")


@pytest.fixture
def fire(people):
    alice, _ = people
    return builders.incident("Payments are failing", reporter=alice, lead=alice)


@pytest.fixture
def in_new_york(logged_in):
    """The viewer's browser says it is in New York (the ``tz`` cookie of ui/js/tz.js)."""
    logged_in.cookies["tz"] = "America/New_York"
    return logged_in


def add_note(client, fire, when, text):
    return client.post(
        f"/incident/{fire.pk}/postmortem/note/", {"note-when": when, "note-text": text}
    )


def triage(client, action, **fields):
    prefix = f"action-{action.pk}"
    data = {"owner": "", "due": "", "priority": "", "status": "open", **fields}
    return client.post(
        f"/action/{action.pk}/edit/", {f"{prefix}-{name}": value for name, value in data.items()}
    )


# --- Notes ----------------------------------------------------------------------------------


def test_a_note_is_added_at_a_time_read_in_the_viewers_zone(in_new_york, fire):
    response = add_note(in_new_york, fire, "2026-01-15 09:30", "Rolled back the *deploy*")
    note = TimelineEvent.objects.get(incident=fire, text="Rolled back the *deploy*")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/incident/{fire.pk}/postmortem/#entry-{note.pk}")
    # 09:30 in New York in January is 14:30 UTC.
    assert note.time == dt.datetime(2026, 1, 15, 14, 30, tzinfo=dt.UTC)
    assert TimelineEdit.objects.filter(entry=note).get().editor_name == "responder"
    html = in_new_york.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert "<strong>deploy</strong>" in html
    assert "your time zone, America/New_York" in html


def test_a_note_in_utc_says_so(in_new_york, fire):
    add_note(in_new_york, fire, "2026-01-15 09:30 UTC", "Paged the database team")
    note = TimelineEvent.objects.get(incident=fire, text="Paged the database team")
    assert note.time == dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("when", "text", "field", "message"),
    [
        ("half past nine", "Something", "when", "half past nine"),
        ("", "Something", "when", "This field is required."),
        ("2999-01-01 10:00", "Something", "when", "That is in the future"),
        ("10m ago", "", "text", "This field is required."),
        ("10m ago", "   ", "text", "This field is required."),
    ],
)
def test_a_refused_note_is_shown_again_with_its_error(logged_in, fire, when, text, field, message):
    response = add_note(logged_in, fire, when, text)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert message in html
    # What was typed is still in the form, and the form is open to show it.
    assert f'value="{when}"' in html if when else True
    assert '<details class="note-add" open>' in html
    assert not TimelineEvent.objects.filter(incident=fire, text__in=["Something", ""]).exists()


def test_a_hostile_note_is_inert(logged_in, fire):
    add_note(logged_in, fire, "5m ago", "<script>alert(1)</script> <javascript:alert(1)|click>")
    html = logged_in.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html


def test_notes_need_a_login_and_a_known_incident(client, logged_in, fire):
    assert add_note(logged_in, type(fire)(pk=999_999), "now", "x").status_code == 404
    logged_in.logout()
    assert add_note(client, fire, "now", "x").status_code == 302
    assert not TimelineEvent.objects.filter(incident=fire, text="x").exists()


# --- Follow-ups -----------------------------------------------------------------------------


def test_triage_sets_owner_due_date_priority_and_status(in_new_york, fire, people):
    _, bob = people
    action = services.action_log(incident=fire, details="Alert on the error rate")
    response = triage(
        in_new_york, action, owner=bob.pk, due="2030-03-04", priority=ActionPriority.HIGH.value
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#action-{action.pk}")
    action.refresh_from_db()
    assert (action.owner, action.priority, action.status) == (bob, ActionPriority.HIGH, "open")
    # The end of that day where the person setting it is.
    assert action.due_at == dt.datetime(2030, 3, 4, 23, 59, tzinfo=NEW_YORK)
    html = in_new_york.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert "Owner: bob" in html and ">4 Mar 2030</time>" in html
    assert 'value="2030-03-04"' in html  # the form shows the date as it was set

    triage(in_new_york, action, owner=bob.pk, due="2030-03-04", status=ActionStatus.DONE)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.done_at is not None
    triage(in_new_york, action, status=ActionStatus.WONT_DO)
    action.refresh_from_db()
    assert (action.status, action.owner, action.due_at, action.done_at) == (
        ActionStatus.WONT_DO,
        None,
        None,
        None,
    )


def test_a_due_date_left_as_it_was_keeps_its_time(in_new_york, fire, people):
    _, bob = people
    due = dt.datetime(2030, 3, 4, 15, 0, tzinfo=dt.UTC)  # set through the API, say
    action = services.action_log(incident=fire, details="Runbook", owner=bob, due_at=due)
    triage(in_new_york, action, owner=bob.pk, due="2030-03-04", priority="1")
    action.refresh_from_db()
    assert action.due_at == due and action.priority == 1


def test_a_due_date_in_the_past_is_accepted_and_shown_overdue(logged_in, fire, people):
    _, bob = people
    action = services.action_log(incident=fire, details="Fix the retry storm")
    yesterday = (timezone.now() - dt.timedelta(days=2)).date().isoformat()
    assert triage(logged_in, action, owner=bob.pk, due=yesterday).status_code == 302
    html = logged_in.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert "1 overdue" in html and "(overdue)" in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"owner": "999999"}, "owner", "Select a valid choice"),
        ({"due": "next tuesday"}, "due", "Enter a valid date"),
        ({"priority": "7"}, "priority", "Select a valid choice"),
        ({"status": "finished"}, "status", "Select a valid choice"),
        ({"status": ""}, "status", "This field is required"),
    ],
)
def test_a_refused_triage_is_shown_again_with_its_error(logged_in, fire, fields, field, message):
    action = services.action_log(incident=fire, details="Alert on the error rate")
    response = triage(logged_in, action, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html and message in html
    # Only the refused follow-up's form is open.
    assert html.count('<details class="action-edit" open>') == 1
    action.refresh_from_db()
    assert (action.owner, action.due_at, action.priority, action.status) == (
        None,
        None,
        None,
        "open",
    )


def test_a_deactivated_owner_stays_selectable_for_their_follow_up_only(logged_in, fire, people):
    _, bob = people
    gone = builders.slack_user("U0GONE", "gone")
    gone.deleted = True
    gone.save()
    kept = services.action_log(incident=fire, details="Owned by someone who left", owner=gone)
    html = logged_in.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert html.count(f'<option value="{gone.pk}" selected>gone</option>') == 1
    # Re-saving keeps them; a new follow-up cannot be given to someone no longer in Slack.
    assert triage(logged_in, kept, owner=gone.pk, priority="2").status_code == 302
    other = services.action_log(incident=fire, details="Another", owner=bob)
    assert triage(logged_in, other, owner=gone.pk).status_code == 400


def test_a_hostile_owner_name_and_follow_up_text_are_inert(logged_in, fire):
    evil = builders.slack_user("U0EVIL", '"><script>alert(1)</script>')
    services.action_log(
        incident=fire, details="<img src=x onerror=alert(1)> <javascript:alert(1)|x>", owner=evil
    )
    for path in ("/postmortem/", "/postmortem/print/", "/postmortem.md"):
        html = logged_in.get(f"/incident/{fire.pk}{path}").content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert 'href="javascript:' not in html
    html = logged_in.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    # Offered in every owner list, as text.
    assert html.count("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</option>") == 1


def test_triage_needs_a_login_and_a_known_follow_up(client, logged_in, fire):
    action = services.action_log(incident=fire, details="x")
    assert triage(logged_in, Action(pk=999_999)).status_code == 404
    logged_in.logout()
    assert triage(client, action, status="done").status_code == 302
    action.refresh_from_db()
    assert action.status == "open"


def test_an_incident_without_follow_ups_says_how_to_log_one(logged_in, fire):
    html = logged_in.get(f"/incident/{fire.pk}/postmortem/").content.decode()
    assert "No follow-ups." in html and "@incident action" in html


def count_queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def grow(fire, n):
    """``n`` follow-ups, each with its own owner and a note."""
    for i in range(n):
        owner = builders.slack_user(f"U{fire.pk}X{Action.objects.count():04d}", f"owner {i}")
        services.action_log(
            incident=fire,
            details=f"Follow-up {i}",
            owner=owner,
            priority=ActionPriority.MEDIUM,
            due_at=timezone.now() - dt.timedelta(days=i % 3),
        )


@pytest.mark.parametrize("path", ["/postmortem/", "/postmortem.md", "/postmortem/print/"])
def test_page_and_exports_with_2_or_20_follow_ups_make_as_many_queries(logged_in, fire, path):
    grow(fire, 2)
    few = count_queries(logged_in, f"/incident/{fire.pk}{path}")
    grow(fire, 18)
    assert Action.objects.filter(incident=fire).count() == 20
    # The timeline kept by the first request would spare the second its read.
    caches[settings.RENDER_CACHE].clear()
    assert count_queries(logged_in, f"/incident/{fire.pk}{path}") == few


def test_a_refused_triage_page_makes_as_many_queries_with_more_follow_ups(logged_in, fire):
    grow(fire, 2)
    first = Action.objects.filter(incident=fire).first()
    with CaptureQueriesContext(connection) as few:
        assert triage(logged_in, first, status="finished").status_code == 400
    grow(fire, 18)
    caches[settings.RENDER_CACHE].clear()  # as above
    with CaptureQueriesContext(connection) as many:
        assert triage(logged_in, first, status="finished").status_code == 400
    assert len(many.captured_queries) == len(few.captured_queries)
