"""Updates, followers and catching up from Slack (SPEC §15), through signed requests.

Each test talks to Response the way Slack does (signed events and interactions), runs the
worker against the stand-in Slack, and looks at what Slack was asked to do.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.db import transaction

from core import selectors, services
from core.models import Follower, Severity, TimelineEvent, TimelineEventKind, Update
from core.services.updates import update_share
from slack.flows.updates import ids
from slack.flows.updates.jobs import post_update_in_headline_thread, send_update_to_follower
from slack.models import HeadlinePost
from tests.helpers import load_fixture, make_retries_due, post_event, post_interaction
from tests.slack.channel_helpers import COMMS, channel_posts, event_from, incident_with_channel
from tests.slack.channel_helpers import mention as say
from tests.slack.fake_slack import BOT_USER_ID, INCIDENTS_CHANNEL_ID
from tests.slack.slack_history import ChannelHistory

RETRY = {"HTTP_X_SLACK_RETRY_NUM": "1", "HTTP_X_SLACK_RETRY_REASON": "http_timeout"}


@pytest.fixture
def incident(jobs):
    # After ``jobs`` empties the queue, so the headline's post is still waiting to run.
    return incident_with_channel(severity=Severity.CRITICAL)


def click(client, action_id: str, incident, *, user: str = "U0ALICE", channel=INCIDENTS_CHANNEL_ID):
    payload = copy.deepcopy(load_fixture("block_actions_button"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = channel
    payload["actions"][0].update(action_id=action_id, value=str(incident.pk))
    payload["actions"][0]["action_ts"] = f"17000000{len(action_id)}.{user}"
    assert post_interaction(client, payload).status_code == 200


def submit(client, incident, **values: str | None) -> dict | None:
    """Submit the update modal; ``values`` replace the fixture's (None: left empty)."""
    payload = copy.deepcopy(load_fixture("update_view_submission"))
    payload["view"]["private_metadata"] = json.dumps({"incident_id": incident.pk})
    state = payload["view"]["state"]["values"]
    for name, value in values.items():
        element = state[name][name]
        if element["type"] == "static_select":
            element["selected_option"] = None if value is None else {"value": value}
        else:
            element["value"] = value
    response = post_interaction(client, payload)
    assert response.status_code == 200
    return response.json() if response.content else None


def posts_to(fake_slack, channel: str) -> list[dict]:
    return [
        c.params for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == channel
    ]


def ephemerals_to(fake_slack, user: str) -> list[str]:
    return [
        c.params["text"] for c in fake_slack.calls("chat.postEphemeral") if c.params["user"] == user
    ]


def dm_channel(user: str) -> str:
    return "D" + user.lstrip("U")  # what the stand-in Slack's conversations.open answers


# --- Sharing an update ------------------------------------------------------------------------


def test_a_shared_update_reaches_the_channel_the_headline_thread_and_each_follower(
    client, incident, fake_slack, jobs
):
    click(client, ids.FOLLOW, incident, user="U0FRED")
    jobs()  # the headline is posted, Fred follows
    headline = HeadlinePost.objects.get(incident=incident)

    assert submit(client, incident) is None
    jobs()

    [in_channel] = [p for p in posts_to(fake_slack, COMMS) if "Update on incident" in p["text"]]
    assert "We found the bad deploy" in json.dumps(in_channel["blocks"])
    [in_thread] = [p for p in posts_to(fake_slack, INCIDENTS_CHANNEL_ID) if p.get("thread_ts")]
    assert in_thread["thread_ts"] == headline.ts
    assert "Update on incident" in in_thread["text"]
    [dm] = posts_to(fake_slack, dm_channel("U0FRED"))
    assert "Watch the error rate" in json.dumps(dm["blocks"])
    assert ids.UNFOLLOW in json.dumps(dm["blocks"])  # a follower can stop them from the DM

    update = Update.objects.get(incident=incident)
    assert (update.status, update.author.external_id) == ("fixing", "U0CAROL")
    assert update.next_update_due is not None
    assert selectors.incident_get(incident_id=incident.pk).status == "fixing"
    entry = TimelineEvent.objects.get(incident=incident, kind=TimelineEventKind.UPDATE)
    assert "rolling it back" in entry.text
    # The headline shows when the update was shared and when the next one is due.
    rendered = json.dumps(fake_slack.last_call("chat.update").params["blocks"])
    assert "*Updates:* last <!date^" in rendered and "next due <!date^" in rendered


def test_an_update_with_nothing_filled_in_is_refused_in_the_modal(client, incident, jobs):
    answer = submit(
        client, incident, update_impact=None, update_what_changed="  ", update_next_steps=None
    )

    assert answer["response_action"] == "errors"
    assert "Say something" in answer["errors"][ids.WHAT_CHANGED]
    assert not Update.objects.exists()


def test_an_update_to_a_resolved_incident_is_refused_with_the_reason(client, incident, jobs):
    services.incident_close(incident=incident)

    answer = submit(client, incident)

    assert answer["response_action"] == "errors"
    assert "is resolved" in answer["errors"][ids.WHAT_CHANGED]
    assert not Update.objects.exists()


def test_asking_to_update_a_resolved_incident_says_why_not(client, incident, fake_slack, jobs):
    services.incident_close(incident=incident)
    jobs()

    say(client, "update")
    click(client, ids.SHARE_UPDATE, incident, channel=COMMS)
    jobs()

    assert any(
        "is resolved, so there is nothing left" in text for text in channel_posts(fake_slack)
    )
    [told] = ephemerals_to(fake_slack, "U0ALICE")
    assert "is resolved, so there is nothing left" in told
    assert fake_slack.calls("views.open") == []


def test_the_author_is_not_sent_their_own_update(client, incident, fake_slack, jobs):
    say(client, "follow", user="U0CAROL")  # the fixture's submission is Carol's
    say(client, "follow", user="U0FRED")
    jobs()

    submit(client, incident)
    jobs()

    assert posts_to(fake_slack, dm_channel("U0CAROL")) == []
    assert len(posts_to(fake_slack, dm_channel("U0FRED"))) == 1


def test_at_incident_update_answers_with_the_share_update_button(
    client, incident, fake_slack, jobs
):
    say(client, "update")
    jobs()

    [prompt] = [p for p in posts_to(fake_slack, COMMS) if "Share an update" in p["text"]]
    assert ids.SHARE_UPDATE in json.dumps(prompt["blocks"])


def test_the_share_update_button_opens_the_modal(client, incident, fake_slack, jobs):
    click(client, ids.SHARE_UPDATE, incident)

    view = fake_slack.wait_for_calls("views.open")[0].params["view"]
    assert view["callback_id"] == ids.UPDATE_MODAL
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {ids.STATUS, ids.IMPACT, ids.WHAT_CHANGED, ids.NEXT_STEPS, ids.NEXT_UPDATE_IN} <= blocks
    chosen = next(b for b in view["blocks"] if b.get("block_id") == ids.NEXT_UPDATE_IN)
    assert chosen["element"]["initial_option"]["value"] == "30"  # critical: every 30 minutes


def test_the_headline_has_share_update_follow_and_unfollow(client, incident, fake_slack, jobs):
    jobs()

    posted = json.dumps(fake_slack.calls("chat.postMessage")[0].params["blocks"])
    for action_id in (ids.SHARE_UPDATE, ids.FOLLOW, ids.UNFOLLOW):
        assert action_id in posted


# --- Posted once, even when a job runs again after Slack took its post -----------------------


@pytest.fixture
def short_timeout(settings):
    # The stand-in answers lost posts after 1 s; the client gives up before that.
    settings.SLACK_API_TIMEOUT = 0.3


@pytest.fixture
def shared(incident, jobs):
    """An update shared and every post of it made; the posts the tests make again follow."""
    with transaction.atomic():
        update = update_share(incident=incident, author=None, what_changed="Rolled back")
    jobs()
    return update


def test_a_reply_under_the_headline_whose_answer_was_lost_is_not_posted_again(
    incident, shared, fake_slack, jobs, short_timeout
):
    history = ChannelHistory(fake_slack, slow_answers=1)
    headline = HeadlinePost.objects.get(incident=incident)
    with transaction.atomic():
        post_update_in_headline_thread.defer(incident_id=incident.pk, update_id=shared.pk)

    jobs()
    make_retries_due()
    jobs()

    [reply] = history.posted(INCIDENTS_CHANNEL_ID)
    assert reply["thread_ts"] == headline.ts
    assert len(fake_slack.calls("conversations.replies")) == 1


def test_an_update_dm_whose_answer_was_lost_is_not_sent_again(
    incident, shared, fake_slack, jobs, short_timeout
):
    history = ChannelHistory(fake_slack, slow_answers=1)
    with transaction.atomic():
        send_update_to_follower.defer(
            incident_id=incident.pk, update_id=shared.pk, user_id="U0FRED"
        )

    jobs()
    make_retries_due()
    jobs()

    [dm] = history.posted(dm_channel("U0FRED"))
    assert "Rolled back" in json.dumps(dm["blocks"])


# --- Following --------------------------------------------------------------------------------


def test_following_twice_is_a_no_op_that_says_so(client, incident, fake_slack, jobs):
    click(client, ids.FOLLOW, incident, user="U0FRED")
    jobs()
    say(client, "follow", user="U0FRED")
    jobs()

    assert Follower.objects.filter(incident=incident).count() == 1
    assert any("You follow incident" in text for text in ephemerals_to(fake_slack, "U0FRED"))
    assert any("already follow" in text for text in channel_posts(fake_slack))


def test_unfollowed_people_get_no_more_updates(client, incident, fake_slack, jobs):
    say(client, "follow", user="U0FRED")
    jobs()
    say(client, "unfollow", user="U0FRED")
    jobs()
    submit(client, incident)
    jobs()

    assert not Follower.objects.exists()
    assert posts_to(fake_slack, dm_channel("U0FRED")) == []


def test_followers_are_told_of_the_resolution(client, incident, fake_slack, jobs):
    say(client, "follow", user="U0FRED")
    jobs()
    say(client, "close")
    jobs()

    [dm] = posts_to(fake_slack, dm_channel("U0FRED"))
    assert f"Incident {incident.pk} is resolved" in dm["text"]


# --- Catching up ------------------------------------------------------------------------------


def test_catchup_answers_the_asker_alone(client, incident, fake_slack, jobs):
    submit(client, incident)
    services.action_create(incident=incident, details="add an alert on queue depth", owner=None)
    jobs()
    for word in ("catchup", "catch-up"):
        say(client, word, user="U0ERIN")
    jobs()

    [first, second] = ephemerals_to(fake_slack, "U0ERIN")
    assert first == second
    for expected in (
        f"Catching up on incident {incident.pk}",
        "*Status:* 🛠️ Fixing",
        "⛈️ Critical",
        "*Latest update*",
        "rolling it back",
        "*Milestones:* Started",
        "add an alert on queue depth",
        f"<#{COMMS}>",
    ):
        assert expected in first


def test_a_retried_member_joined_channel_gives_one_catch_up(client, incident, fake_slack, jobs):
    envelope = event_from("event_member_joined_channel", user="U0DAVE", channel=COMMS)
    assert post_event(client, envelope).status_code == 200
    assert post_event(client, envelope, headers=RETRY).status_code == 200
    jobs()
    assert post_event(client, envelope, headers=RETRY).status_code == 200  # after it ran
    jobs()

    [catch_up] = ephemerals_to(fake_slack, "U0DAVE")
    assert f"Catching up on incident {incident.pk}" in catch_up


def test_the_bot_joining_its_own_channel_gets_no_catch_up(client, incident, fake_slack, jobs):
    envelope = event_from("event_member_joined_channel", user=BOT_USER_ID, channel=COMMS)
    post_event(client, envelope)
    jobs()

    assert ephemerals_to(fake_slack, BOT_USER_ID) == []
