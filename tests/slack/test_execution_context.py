"""Where each handler runs, and whether it is atomic, is what its declaration says.

Handlers are called only through ``Registration.run``, which honours the declaration: an atomic
handler's writes and deferred jobs commit together or not at all, and a Slack call made inside
its transaction fails loudly instead of escaping it. A declaration its surface cannot honour
fails at import, naming the handler and the reason.
"""

from __future__ import annotations

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from core.models import TimelineEvent
from slack import registry
from slack.decorators import action_handler
from slack.models import CommsChannel
from slack.registry import Context, InvalidContext
from slack.web_api.client import get_slack_client
from slack.web_api.guard import SlackCallInTransaction
from tests.helpers import load_fixture, post_event, post_interaction

BUILT_IN_ACTIONS = {
    "close-incident-button": Context("worker", atomic=True),
    "create-comms-channel-button": Context("worker", atomic=True),
    # They open a modal while the trigger id is valid: in the request, calling Slack.
    "edit-incident-button": Context("request", atomic=False),
    "statuspage-open-button": Context("request", atomic=False),
    # They wait on PagerDuty: no transaction held meanwhile.
    "page-on-call-button": Context("worker", atomic=False),
    "page-team-button": Context("worker", atomic=False),
}


def test_built_in_actions_declare_where_they_run():
    declared = {entry.key: entry.context for entry in registry.action_handlers}
    assert {key: declared[key] for key in BUILT_IN_ACTIONS} == BUILT_IN_ACTIONS


def test_the_default_is_the_worker_inside_one_transaction():
    assert Context() == Context(runs="worker", atomic=True)
    events = list(registry.event_handlers)
    assert {entry.context for entry in events} == {Context()}
    assert {entry.context for entry in registry.incident_commands} == {Context()}
    # The sweep runs reminders in the cron request's transaction.
    assert {entry.context for entry in registry.notifications} == {Context("request", True)}


@pytest.mark.parametrize(
    ("registry_name", "declaration", "reason"),
    [
        ("event_handlers", {"atomic": False}, "delivery's transaction"),
        ("event_handlers", {"runs": "request"}, "delivery's transaction"),
        ("slash_commands", {"runs": "worker"}, "reply to the request"),
        ("view_handlers", {"runs": "worker"}, "shown in the modal"),
        ("incident_commands", {"atomic": False}, "app_mention"),
        ("notifications", {"atomic": False}, "sweep's transaction"),
        ("action_handlers", {"runs": "somewhere"}, "runs request or worker"),
    ],
)
def test_a_declaration_the_surface_cannot_honour_fails_naming_why(
    registry_name, declaration, reason
):
    def handler(*args):
        return None

    with pytest.raises(InvalidContext, match=reason) as refused:
        getattr(registry, registry_name).register("x-test-key", handler, **declaration)
    assert "handler" in str(refused.value)


@pytest.fixture
def comms_channel(transactional_db):
    incident = services.incident_declare(title="Payments are failing", reporter=None)
    return CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1")


@pytest.fixture
def registered():
    """Register handlers for one test; they are removed afterwards."""
    added = []

    def register(surface, key, handler, **declaration):
        getattr(registry, surface).register(key, handler, **declaration)
        added.append((surface, key, handler))

    yield register
    for surface, key, handler in added:
        if surface == "event_handlers":
            registry.event_handlers.unregister(key, handler)
        else:
            getattr(registry, surface).unregister(key)


def test_a_slack_call_inside_an_event_handlers_transaction_fails_loudly(
    client, comms_channel, jobs, fake_slack, registered
):
    raised = []

    def posts_directly(incident, event):
        try:
            get_slack_client().post_message(channel="C0COMMS", text="straight to Slack")
        except SlackCallInTransaction as error:
            raised.append(str(error))
            raise

    registered("event_handlers", "pin_added", posts_directly)
    post_event(client, load_fixture("event_pin_added"))
    jobs()

    assert raised and "posts_directly" in raised[0] and "atomic=True" in raised[0]
    assert fake_slack.calls("chat.postMessage") == []
    failed = ProcrastinateJob.objects.filter(task_name="slack.process_event").first()
    assert failed.status in ("todo", "failed")  # failed, and retried later


def test_an_atomic_worker_action_leaves_nothing_behind_when_it_fails(
    client, comms_channel, jobs, registered
):
    def notes_then_fails(context):
        services.timeline_note_add(incident=comms_channel.incident, text="half done", author=None)
        raise RuntimeError("the second half failed")

    registered("action_handlers", "test-button", notes_then_fails)
    post_interaction(client, load_fixture("block_actions_button"))
    jobs()

    assert not TimelineEvent.objects.filter(text="half done").exists()


def test_a_non_atomic_action_keeps_what_it_committed(client, comms_channel, jobs, registered):
    def notes_then_fails(context):
        services.timeline_note_add(incident=comms_channel.incident, text="half done", author=None)
        raise RuntimeError("the second half failed")

    registered("action_handlers", "test-button", notes_then_fails, atomic=False)
    post_interaction(client, load_fixture("block_actions_button"))
    jobs()

    assert TimelineEvent.objects.filter(text="half done").count() >= 1


@pytest.mark.django_db
def test_an_action_declared_for_the_request_runs_before_the_answer_and_queues_nothing(client):
    calls = []

    @action_handler("test-button", runs="request", atomic=False)
    def in_the_request(context):
        calls.append(context.action_id)

    try:
        response = post_interaction(client, load_fixture("block_actions_button"))
    finally:
        registry.action_handlers.unregister("test-button")

    assert response.status_code == 200
    assert calls == ["test-button"]
    assert not ProcrastinateJob.objects.filter(task_name="slack.process_action").exists()
