"""Slash commands and interactivity: dispatch through the registries, malformed input → 4xx."""

from __future__ import annotations

import json

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from slack import registry
from tests.helpers import load_fixture, post_form, post_interaction, post_to_slack_endpoint


@pytest.fixture
def button_calls():
    calls = []

    def record(context):
        calls.append((context.action_id, context.user_id, context.value))

    registry.action_handlers.register("test-button", record)
    yield calls
    registry.action_handlers.unregister("test-button")


def test_a_button_click_is_handled_in_the_worker_once(client, button_calls, jobs):
    payload = load_fixture("block_actions_button")

    first = post_interaction(client, payload)
    assert button_calls == []  # nothing runs inside the request
    again = post_interaction(client, payload)
    jobs()

    assert first.status_code == again.status_code == 200
    assert button_calls == [("test-button", "U0ALICE", "1")]


@pytest.mark.django_db
def test_an_unknown_action_is_answered_200_and_not_queued(client):
    response = post_interaction(client, load_fixture("block_actions_button"))

    assert response.status_code == 200
    assert ProcrastinateJob.objects.count() == 0


@pytest.mark.django_db
def test_a_view_submission_answer_is_returned_to_slack(client):
    def validate(context):
        return {"response_action": "errors", "errors": {"title": f"got {context.values}"}}

    registry.view_handlers.register("test-modal", validate)
    payload = {
        "type": "view_submission",
        "user": {"id": "U0ALICE"},
        "view": {
            "id": "V1",
            "callback_id": "test-modal",
            "state": {"values": {"b1": {"title": {"type": "plain_text_input", "value": "x"}}}},
        },
    }
    try:
        response = post_interaction(client, payload)
    finally:
        registry.view_handlers.unregister("test-modal")

    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {"title": "got {'title': 'x'}"},
    }


@pytest.mark.django_db
def test_an_unknown_interaction_type_is_answered_200(client):
    response = post_interaction(client, {"type": "message_action", "user": {"id": "U1"}})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"payload": "not json"},
        {"payload": json.dumps(["a"])},
        {"payload": json.dumps({"type": "block_actions", "user": {"id": "U1"}})},
        {"payload": json.dumps({"type": "block_actions", "actions": [{"x": 1}], "user": {}})},
        {"payload": json.dumps({"type": "view_submission", "user": {"id": "U1"}})},
    ],
    ids=["no-payload", "not-json", "not-object", "no-actions", "no-user", "no-view"],
)
def test_malformed_interactions_are_answered_400(client, fields):
    response = post_form(client, "/slack/action", fields)

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_slash_command_is_dispatched_to_its_handler(client):
    def answer(command):
        return f"{command.user_id} said {command.text}"

    registry.slash_commands.register("/test-command", answer)
    fields = dict(load_fixture("slash_command"), command="/test-command")
    try:
        response = post_form(client, "/slack/slash_command", fields)
    finally:
        registry.slash_commands.unregister("/test-command")

    assert response.status_code == 200
    assert response.json() == {
        "response_type": "ephemeral",
        "text": "U0ALICE said payments are failing",
    }


@pytest.mark.django_db
def test_an_unknown_slash_command_is_answered_kindly(client):
    fields = dict(load_fixture("slash_command"), command="/nope")

    response = post_form(client, "/slack/slash_command", fields)

    assert response.status_code == 200
    assert "/nope" in response.json()["text"]


@pytest.mark.django_db
def test_a_slash_command_without_a_user_is_answered_400(client):
    response = post_form(client, "/slack/slash_command", {"command": "/incident"})

    assert response.status_code == 400


@pytest.mark.django_db
def test_ssl_check_is_answered_200(client):
    response = post_form(client, "/slack/slash_command", {"ssl_check": "1", "token": "x"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_form_body_sent_as_json_is_answered_400(client):
    response = post_to_slack_endpoint(client, "/slack/action", b'{"a": 1}', "application/json")

    assert response.status_code == 400
