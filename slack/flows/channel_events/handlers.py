"""What happens in a comms channel becomes part of the incident (SPEC §6.6).

Pins become timeline entries (with the message's own time and permalink), unpins remove them,
edits of pinned messages update them; every human message counts towards its author's
participation; registered keyword handlers run on matching messages; renames keep the stored
channel name in step. The bot's own messages never get here (``dispatch.is_from_a_bot``).
"""

from __future__ import annotations

import logging
from typing import Any

from core import services
from core.models import Incident, TimelineEventKind
from slack import registry
from slack.block_kit import ts_to_datetime
from slack.flows.comms_channel.services import comms_channel_name_record
from slack.registry import event_handler
from slack.users import user_for

logger = logging.getLogger(__name__)

# Message subtypes that are something a person said (others are joins, topic changes, edits…).
HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def pin_source(channel_id: str, ts: str) -> str:
    return f"slack-pin:{channel_id}:{ts}"


@event_handler("pin_added")
def record_pin(incident: Incident, event: dict[str, Any]) -> None:
    item = event.get("item") or {}
    message = item.get("message") or {}
    if item.get("type", "message") != "message" or not message.get("ts"):
        return  # files and other items carry no text for the timeline
    channel_id = item.get("channel") or event.get("channel_id", "")
    author_id = message.get("user")
    services.timeline_source_upsert(
        incident=incident,
        source_ref=pin_source(channel_id, message["ts"]),
        kind=TimelineEventKind.PINNED_MESSAGE,
        text=message.get("text", ""),
        author=user_for(author_id) if author_id else None,
        time=ts_to_datetime(message["ts"]),
        metadata={
            "slack_ts": message["ts"],
            "channel": channel_id,
            "permalink": message.get("permalink", ""),
            "pinned_by": event.get("user", ""),
        },
    )


@event_handler("pin_removed")
def remove_pin(incident: Incident, event: dict[str, Any]) -> None:
    item = event.get("item") or {}
    ts = (item.get("message") or {}).get("ts")
    if ts:
        channel_id = item.get("channel") or event.get("channel_id", "")
        services.timeline_source_remove(incident=incident, source_ref=pin_source(channel_id, ts))


@event_handler("message")
def follow_message(incident: Incident, event: dict[str, Any]) -> None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        _follow_edit(incident, event)
        return
    user_id = event.get("user")
    if subtype not in HUMAN_SUBTYPES or not user_id:
        return
    services.participation_record_message(incident=incident, user=user_for(user_id))
    _run_keyword_handlers(incident, user_id, event.get("text", ""), event.get("ts", ""))


def _follow_edit(incident: Incident, event: dict[str, Any]) -> None:
    message = event.get("message") or {}
    # Some message_changed events (Slack's own SDK fixtures among them) name the edited message
    # only in previous_message.ts; the event's top-level ts is the time of the edit, never that.
    ts = message.get("ts") or (event.get("previous_message") or {}).get("ts")
    if ts:
        services.timeline_source_edit(
            incident=incident,
            source_ref=pin_source(event["channel"], ts),
            text=message.get("text", ""),
        )


def _run_keyword_handlers(incident: Incident, user_id: str, text: str, ts: str) -> None:
    lowered = text.lower()
    called: set[int] = set()
    for entry in registry.keyword_handlers:
        if entry.key in lowered and id(entry.handler) not in called:
            called.add(id(entry.handler))
            entry.run(incident.comms_channel, user_id, text, ts)


@event_handler("channel_rename")
@event_handler("group_rename")
def follow_rename(incident: Incident, event: dict[str, Any]) -> None:
    channel = event.get("channel") or {}
    if isinstance(channel, dict) and channel.get("id") and channel.get("name"):
        comms_channel_name_record(channel_id=channel["id"], name=channel["name"])
