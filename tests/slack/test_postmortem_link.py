"""``@incident postmortem`` and the resolution DM lead to the postmortem page (SPEC §16), through
signed events and clicks and the worker."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.utils import timezone

from core import services
from core.models import ActionStatus, PostmortemStatus
from slack.flows.headline import ids
from tests.helpers import load_fixture, post_interaction
from tests.slack.channel_helpers import channel_posts, incident_with_channel, mention, reactions_on


@pytest.fixture
def incident(transactional_db):
    return incident_with_channel()


def postmortem_link(incident) -> str:
    return f"<http://testserver/incident/{incident.pk}/postmortem/|"


def test_postmortem_links_the_page_of_a_fresh_draft(client, incident, fake_slack, jobs):
    envelope = mention(client, "postmortem")
    jobs()

    [reply] = channel_posts(fake_slack)
    assert reply.startswith(f":memo: {postmortem_link(incident)}The postmortem of incident ")
    assert "is a *draft*" in reply
    assert "follow-up" not in reply  # nothing holds it up
    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["white_check_mark"]


def test_postmortem_says_what_its_follow_ups_still_need(client, incident, fake_slack, jobs):
    bob = services.external_user_get_or_create(external_id="U0BOB")
    late = timezone.now() - dt.timedelta(days=1)
    services.action_log(incident=incident, details="Alert on errors", owner=bob, due_at=late)
    services.action_log(incident=incident, details="Write a runbook")
    services.action_log(incident=incident, details="Drop the flag", owner=bob, due_at=late)
    services.action_log(incident=incident, details="Not worth it", status=ActionStatus.WONT_DO)

    mention(client, "POSTMORTEM")
    jobs()

    [reply] = channel_posts(fake_slack)
    assert "1 follow-up still needs an owner and a due date" in reply
    assert "2 follow-ups overdue." in reply


def test_postmortem_says_when_it_is_published(client, incident, fake_slack, jobs):
    for status in (PostmortemStatus.IN_REVIEW, PostmortemStatus.PUBLISHED):
        services.postmortem_status_set(incident=incident, status=status, editor=None)
    mention(client, "postmortem")
    jobs()

    [reply] = channel_posts(fake_slack)
    assert postmortem_link(incident) in reply and "is *published*" in reply


def test_help_lists_postmortem(client, incident, fake_slack, jobs):
    mention(client, "help")
    jobs()
    assert "`postmortem` — Link the postmortem" in channel_posts(fake_slack)[-1]


def test_the_resolution_dm_points_at_the_postmortem(client, fake_slack, jobs):
    fire = services.incident_declare(
        title="Payments are <failing>",
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
        lead=services.external_user_get_or_create(external_id="U0LEAD"),
    )
    jobs()
    fake_slack.reset()
    click = copy.deepcopy(load_fixture("declare_headline_click"))
    click["actions"][0].update(action_id=ids.CLOSE_INCIDENT, value=str(fire.pk))

    assert post_interaction(client, click).status_code == 200
    jobs()

    assert fake_slack.last_call("conversations.open").params["users"] == "U0LEAD"
    [dm] = [
        call.params["text"]
        for call in fake_slack.calls("chat.postMessage")
        if call.params["channel"] == "D0LEAD"
    ]
    assert f"{postmortem_link(fire)}the postmortem of incident {fire.pk}>" in dm
    assert "*Payments are &lt;failing&gt;*" in dm
