"""The Events API endpoint: challenge, de-duplication, unknown and malformed input."""

from __future__ import annotations

import copy

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from slack import registry
from slack.models import CommsChannel, ProcessedEvent
from tests.helpers import load_fixture, post_event, post_to_slack_endpoint


@pytest.fixture
def pin_calls():
    calls = []

    def record(incident, event):
        calls.append((incident.pk, event["event_ts"]))

    registry.event_handlers.register("pin_added", record)
    yield calls
    registry.event_handlers.unregister("pin_added", record)


@pytest.fixture
def comms_channel(transactional_db):
    incident = services.incident_declare(title="Payments are failing", reporter=None)
    return CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1")


@pytest.mark.django_db
def test_url_verification_answers_the_challenge(client):
    envelope = load_fixture("url_verification")

    response = post_event(client, envelope)

    assert response.status_code == 200
    assert response.json() == {"challenge": envelope["challenge"]}


def test_a_retried_event_runs_its_handler_once(client, comms_channel, pin_calls, jobs):
    envelope = load_fixture("event_pin_added")

    first = post_event(client, envelope)
    retry = post_event(
        client,
        envelope,
        headers={"HTTP_X_SLACK_RETRY_NUM": "1", "HTTP_X_SLACK_RETRY_REASON": "http_timeout"},
    )
    jobs()

    assert first.status_code == retry.status_code == 200
    assert pin_calls == [(comms_channel.incident_id, envelope["event"]["event_ts"])]


def test_different_events_each_run(client, comms_channel, pin_calls, jobs):
    envelope = load_fixture("event_pin_added")
    second = copy.deepcopy(envelope)
    second["event_id"] = "Ev0PINADDED2"
    second["event"]["event_ts"] = "1700000200.000100"

    post_event(client, envelope)
    post_event(client, second)
    jobs()

    assert len(pin_calls) == 2


def test_the_bots_own_messages_trigger_nothing(client, comms_channel, jobs):
    calls = []

    def record(incident, event):
        calls.append(event)

    registry.event_handlers.register("message", record)
    try:
        response = post_event(client, load_fixture("event_bot_message"))
        jobs()
    finally:
        registry.event_handlers.unregister("message", record)

    assert response.status_code == 200
    assert calls == []


def test_events_outside_incident_channels_are_dropped(client, transactional_db, pin_calls, jobs):
    response = post_event(client, load_fixture("event_pin_added"))
    jobs()

    assert response.status_code == 200
    assert pin_calls == []


@pytest.mark.django_db
def test_an_unknown_event_type_is_answered_200_and_not_queued(client, caplog):
    response = post_event(client, load_fixture("event_unknown_type"))

    assert response.status_code == 200
    assert ProcrastinateJob.objects.count() == 0
    assert "no handler for event emoji_changed" in caplog.text


@pytest.mark.django_db
def test_an_unknown_envelope_type_is_answered_200(client):
    response = post_event(client, {"type": "app_rate_limited", "minute_rate_limited": 1})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2, 3]",
        b'{"no": "type"}',
        b'{"type": "event_callback"}',
        b'{"type": "event_callback", "event_id": "Ev1", "event": "text"}',
        b'{"type": "event_callback", "event_id": "Ev1", "event": {"no": "type"}}',
    ],
    ids=["not-json", "array", "no-type", "no-event", "event-not-object", "event-no-type"],
)
def test_malformed_event_bodies_are_answered_400(client, body):
    response = post_to_slack_endpoint(client, "/slack/event", body, "application/json")

    assert response.status_code == 400
    assert ProcessedEvent.objects.count() == 0
