"""Events in a comms channel (SPEC §6.6): pins, edits, unpins, participation, keywords, renames."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import Participation, TimelineEvent, TimelineEventKind
from slack import registry
from slack.models import CommsChannel
from tests.helpers import post_event
from tests.slack.channel_helpers import event_from, incident_with_channel


@pytest.fixture
def incident(transactional_db):
    return incident_with_channel()


def deliver(client, fixture: str, **fields) -> dict:
    envelope = event_from(fixture, **fields)
    assert post_event(client, envelope).status_code == 200
    return envelope


def pin_entries(incident):
    return list(
        TimelineEvent.objects.filter(incident=incident, kind=TimelineEventKind.PINNED_MESSAGE)
    )


def test_a_pinned_message_joins_the_timeline_at_its_own_time(client, incident, jobs):
    deliver(client, "event_pin_added")
    jobs()

    (entry,) = pin_entries(incident)
    assert entry.text == "Rolled back the payments deploy"
    assert entry.time == dt.datetime.fromtimestamp(1700000050.0002, tz=dt.UTC)
    assert entry.author.external_id == "U0BOB"
    assert (
        entry.metadata["permalink"]
        == "https://example.slack.com/archives/C0COMMS/p1700000050000200"
    )
    assert entry.metadata["slack_ts"] == "1700000050.000200"


def test_pinning_the_same_message_again_keeps_one_entry(client, incident, jobs):
    deliver(client, "event_pin_added")
    deliver(client, "event_pin_added")  # a re-pin is a new event with a new id
    jobs()

    assert len(pin_entries(incident)) == 1


def test_editing_a_pinned_message_updates_its_entry(client, incident, jobs):
    deliver(client, "event_pin_added")
    deliver(client, "event_message_changed")
    jobs()

    (entry,) = pin_entries(incident)
    assert entry.text == "Rolled back the payments deploy (v2.3.1)"


def test_unpinning_removes_the_entry(client, incident, jobs):
    deliver(client, "event_pin_added")
    jobs()
    deliver(client, "event_pin_removed")
    jobs()

    assert pin_entries(incident) == []


def test_each_human_message_counts_towards_participation(client, incident, jobs):
    deliver(client, "event_message")
    deliver(client, "event_message")
    deliver(client, "event_message", user="U0CAROL")
    deliver(client, "event_message", subtype="channel_join", text="<@U0DAVE> has joined")
    deliver(client, "event_bot_message")
    jobs()

    counts = {
        s.user.external_id: s.message_count for s in Participation.objects.select_related("user")
    }
    assert counts == {"U0BOB": 2, "U0CAROL": 1}


def test_keyword_handlers_run_on_matching_messages(client, incident, jobs):
    seen = []

    def runbook(comms_channel, user, text, ts):
        seen.append((comms_channel.channel_id, user, text))
        comms_channel.post_in_channel("Runbook: https://wiki.example.com/payments")

    registry.keyword_handlers.register("runbook", runbook)
    registry.keyword_handlers.register("run book", runbook)
    try:
        deliver(client, "event_message", text="Where is the Run Book? and the runbook?")
        deliver(client, "event_message", text="nothing to see")
        jobs()
    finally:
        registry.keyword_handlers.unregister("runbook")
        registry.keyword_handlers.unregister("run book")

    assert seen == [("C0COMMS", "U0BOB", "Where is the Run Book? and the runbook?")]


def test_a_channel_rename_in_slack_updates_the_stored_name(client, incident, jobs):
    deliver(client, "event_channel_rename")
    jobs()

    assert CommsChannel.objects.get().name == "inc-1-payments-outage"


def test_events_make_no_slack_calls_in_the_request(client, incident, fake_slack):
    deliver(client, "event_pin_added")
    deliver(client, "event_message")

    assert fake_slack.calls() == []


def test_an_edit_that_names_the_message_only_in_previous_message_updates_its_entry(
    client, incident, jobs
):
    # Slack's own SDK fixtures carry message_changed events whose ``message`` has no ts: the
    # edited message is named only by ``previous_message.ts``.
    deliver(client, "event_pin_added")
    deliver(
        client,
        "event_message_changed",
        message={"type": "message", "user": "U0BOB", "text": "Rolled back to v2.3.0"},
        previous_message={
            "type": "message",
            "user": "U0BOB",
            "text": "Rolled back the payments deploy",
            "ts": "1700000050.000200",
        },
    )
    jobs()

    (entry,) = pin_entries(incident)
    assert entry.text == "Rolled back to v2.3.0"
