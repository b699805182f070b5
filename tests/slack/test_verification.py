"""Every /slack/* request is verified first; a failure leaves no trace (SPEC §4)."""

from __future__ import annotations

import json
import time

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from slack import registry
from slack.models import ProcessedEvent
from tests.helpers import load_fixture, post_to_slack_endpoint

EVENT_BODY = json.dumps(load_fixture("event_pin_added")).encode()


@pytest.fixture
def pin_handler():
    """A registered pin_added handler, so a verified event is recorded and queued."""
    calls = []

    def record(incident, event):
        calls.append(event)

    registry.event_handlers.register("pin_added", record)
    yield calls
    registry.event_handlers.unregister("pin_added", record)


def post_event_body(client, **signing):
    return post_to_slack_endpoint(client, "/slack/event", EVENT_BODY, "application/json", **signing)


@pytest.mark.django_db
def test_a_correctly_signed_event_is_accepted_and_queued(client, pin_handler):
    response = post_event_body(client)

    assert response.status_code == 200
    assert ProcessedEvent.objects.filter(event_id="Ev0PINADDED1").exists()
    assert ProcrastinateJob.objects.filter(task_name="slack.process_event").count() == 1


def _seconds_from_now(offset: int):
    """A timestamp computed when the test runs, not when it is collected."""
    return lambda: str(int(time.time()) + offset)


REPLAY_WINDOW = 5 * 60


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"secret": lambda: "not-the-signing-secret"}, id="wrong-signature"),
        pytest.param(
            {"timestamp": _seconds_from_now(-REPLAY_WINDOW - 5)},
            id="timestamp-over-5-minutes-old",
        ),
        pytest.param(
            {"timestamp": _seconds_from_now(REPLAY_WINDOW + 5)},
            id="timestamp-over-5-minutes-ahead",
        ),
        pytest.param({"timestamp": lambda: "12ab"}, id="non-numeric-timestamp"),
    ],
)
def test_a_badly_signed_event_is_refused_without_a_trace(client, pin_handler, tamper):
    response = post_event_body(client, **{name: make() for name, make in tamper.items()})

    assert response.status_code == 403
    assert ProcessedEvent.objects.count() == 0
    assert ProcrastinateJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "drop", ["HTTP_X_SLACK_SIGNATURE", "HTTP_X_SLACK_REQUEST_TIMESTAMP"], ids=["no-sig", "no-ts"]
)
def test_missing_headers_are_refused(client, pin_handler, drop):
    from tests.helpers import signed_headers

    headers = signed_headers(EVENT_BODY)
    del headers[drop]
    response = client.generic(
        "POST", "/slack/event", EVENT_BODY, content_type="application/json", **headers
    )

    assert response.status_code == 403
    assert ProcessedEvent.objects.count() == 0
    assert ProcrastinateJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/slack/slash_command", "/slack/action", "/slack/event"])
def test_every_slack_endpoint_refuses_an_unsigned_request(client, path):
    response = client.post(path, {"payload": "{}"})

    assert response.status_code == 403


@pytest.mark.django_db
def test_a_signature_of_another_body_is_refused(client, pin_handler):
    from tests.helpers import signed_headers

    headers = signed_headers(b'{"type": "url_verification", "challenge": "x"}')
    response = client.generic(
        "POST", "/slack/event", EVENT_BODY, content_type="application/json", **headers
    )

    assert response.status_code == 403
    assert ProcessedEvent.objects.count() == 0


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get("/slack/event").status_code == 405
