"""Building events in an incident's comms channel for tests."""

from __future__ import annotations

import copy
import itertools

from core import services
from slack.models import CommsChannel
from tests.helpers import load_fixture, post_event

COMMS = "C0COMMS"
_numbers = itertools.count(1)


def incident_with_channel(**fields):
    incident = services.incident_declare(title="Payments are failing", reporter=None, **fields)
    CommsChannel.objects.create(incident=incident, channel_id=COMMS, name="inc-1-payments")
    return incident


def event_from(fixture: str, **event_fields) -> dict:
    """A fixture's envelope with a fresh event id (and ts) and some fields replaced."""
    envelope = copy.deepcopy(load_fixture(fixture))
    number = next(_numbers)
    envelope["event_id"] = f"Ev{fixture[:8].upper()}{number:06d}"
    if "ts" in envelope["event"]:
        envelope["event"]["ts"] = envelope["event"]["event_ts"] = f"1700001{number:03d}.000100"
    envelope["event"].update(event_fields)
    return envelope


def mention(client, text: str, *, user: str = "U0ALICE") -> dict:
    envelope = event_from("event_app_mention", text=f"<@UBOT> {text}", user=user)
    assert post_event(client, envelope).status_code == 200
    return envelope


def channel_posts(fake_slack) -> list[str]:
    return [
        c.params["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.params["channel"] == COMMS
    ]


def reactions_on(fake_slack, ts: str) -> list[str]:
    return [
        c.params["name"] for c in fake_slack.calls("reactions.add") if c.params["timestamp"] == ts
    ]
