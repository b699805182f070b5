"""The postmortem page keeps its follow-ups section rendered (ui.postmortem.follow_ups_html) and
never serves one that is out of date: a change to a follow-up however it is made, to who can own
one, to the time (a follow-up falling overdue) or to the viewer's zone is on the next view; each
viewer's forms carry their own CSRF token; a refused triage is shown with what was typed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from core import services
from core.models import Action, ActionStatus, ExternalUser
from tests.ui import builders
from ui.postmortem import FOLLOW_UPS_TEMPLATE

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


@pytest.fixture
def fire(alice, bob):
    incident = builders.incident("Payments are failing", reporter=alice, lead=alice)
    services.action_log(incident=incident, details="Alert on the error rate", owner=alice)
    services.action_log(incident=incident, details="Drop the flag")
    return incident


def view(client, incident, **cookies):
    client.cookies.load(cookies)
    response = client.get(f"/incident/{incident.pk}/postmortem/")
    assert response.status_code == 200
    return response


def follow_ups(client, incident, **cookies) -> str:
    """The page's follow-ups section."""
    html = view(client, incident, **cookies).content.decode()
    start = html.index('id="follow-ups"')
    return html[start : html.index("</section>", start)]


def drew_follow_ups(response) -> bool:
    return FOLLOW_UPS_TEMPLATE in [template.name for template in response.templates]


def test_a_second_view_serves_the_kept_follow_ups(logged_in, fire):
    assert drew_follow_ups(view(logged_in, fire))
    assert not drew_follow_ups(view(logged_in, fire))


def test_the_kept_follow_ups_are_those_a_fresh_render_makes(logged_in, fire):
    fresh = follow_ups(logged_in, fire)
    kept = follow_ups(logged_in, fire)
    assert CSRF_INPUT.sub("", kept) == CSRF_INPUT.sub("", fresh)


def _first(fire) -> Action:
    return Action.objects.filter(incident=fire).order_by("id").first()


def _triage_in_the_service(fire, alice, bob):
    services.action_update(action=_first(fire), owner=bob, status=ActionStatus.WONT_DO)
    return ["Owner: bob", "<span>Won&#x27;t do</span>"]


def _details_updated_behind_the_services(fire, alice, bob):
    Action.objects.filter(pk=_first(fire).pk).update(details="Page the *card* team")
    return ["Page the <strong>card</strong> team"]


def _owner_renamed(fire, alice, bob):
    services.external_user_upsert(external_id="U0ALICE", display_name="alicia")
    return ["Owner: alicia", ">alicia</option>"]


def _someone_who_owns_nothing_renamed(fire, alice, bob):
    services.external_user_upsert(external_id="U0BOB", display_name="robert")
    return [">robert</option>"]


def _someone_new_can_own(fire, alice, bob):
    builders.slack_user("U0CAROL", "carol")
    return [">carol</option>"]


def _due_in_the_past(fire, alice, bob):
    past = timezone.now() - dt.timedelta(days=2)
    Action.objects.filter(pk=_first(fire).pk).update(due_at=past)
    return ["(overdue)", "1 overdue"]


WRITES: dict[str, Callable] = {
    "triaged in the service": _triage_in_the_service,
    "details updated behind the services": _details_updated_behind_the_services,
    "the owner renamed": _owner_renamed,
    "someone who owns nothing renamed": _someone_who_owns_nothing_renamed,
    "someone new can own": _someone_new_can_own,
    "due in the past": _due_in_the_past,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_change_is_on_the_next_view(logged_in, fire, alice, bob, write):
    before = follow_ups(logged_in, fire)
    shown = write(fire, alice, bob)
    after = follow_ups(logged_in, fire)
    for text in shown:
        assert text not in before
        assert text in after


def test_someone_deactivated_is_offered_only_where_they_own(logged_in, fire, alice, bob):
    assert follow_ups(logged_in, fire).count(">bob</option>") == 2
    ExternalUser.objects.filter(pk=bob.pk).update(deleted=True)
    assert ">bob</option>" not in follow_ups(logged_in, fire)


def test_a_follow_up_falling_overdue_with_time_alone_is_on_the_next_view(logged_in, fire):
    due = timezone.now() + dt.timedelta(hours=1)
    Action.objects.filter(pk=_first(fire).pk).update(due_at=due)
    assert "(overdue)" not in follow_ups(logged_in, fire)

    later = due + dt.timedelta(minutes=1)
    with mock.patch("ui.presenters.timezone.now", return_value=later):
        assert "(overdue)" in follow_ups(logged_in, fire)


def test_each_time_zone_gets_its_own_follow_ups(logged_in, fire):
    late = dt.datetime(2026, 6, 3, 23, 30, tzinfo=dt.UTC)
    Action.objects.filter(pk=_first(fire).pk).update(due_at=late)

    assert "Due <time" in follow_ups(logged_in, fire, tz="UTC")
    assert ">3 Jun 2026</time>" in follow_ups(logged_in, fire, tz="UTC")
    tokyo = follow_ups(logged_in, fire, tz="Asia/Tokyo")
    assert ">4 Jun 2026</time>" in tokyo
    assert 'value="2026-06-04"' in tokyo
    assert ">3 Jun 2026</time>" in follow_ups(logged_in, fire, tz="UTC")


def test_kept_follow_ups_carry_each_viewers_own_csrf_token(logged_in, fire, bob):
    view(logged_in, fire)  # kept, rendered for the first viewer
    other = Client(enforce_csrf_checks=True)
    other.force_login(builders.login_user("other"))
    action = _first(fire)

    tokens = set(CSRF_INPUT.findall(follow_ups(other, fire)))

    assert tokens, "the section has forms"
    prefix = f"action-{action.pk}"
    for token in tokens:
        response = other.post(
            f"/action/{action.pk}/edit/",
            {
                f"{prefix}-owner": str(bob.pk),
                f"{prefix}-due": "",
                f"{prefix}-priority": "",
                f"{prefix}-status": "open",
                "csrfmiddlewaretoken": token,
            },
        )
        assert response.status_code == 302, token


def test_a_refused_triage_is_shown_with_what_was_typed_over_a_kept_render(logged_in, fire):
    view(logged_in, fire)  # kept
    action = _first(fire)
    prefix = f"action-{action.pk}"

    response = logged_in.post(
        f"/action/{action.pk}/edit/",
        {f"{prefix}-owner": "", f"{prefix}-due": "next tuesday", f"{prefix}-status": "open"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-due"' in html
    assert 'value="next tuesday"' in html
    # The next plain view is the kept one again, without the refused form.
    assert "next tuesday" not in follow_ups(logged_in, fire)
