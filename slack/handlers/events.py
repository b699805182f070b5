"""What happens in a comms channel becomes part of the incident (SPEC §6.6).

Pins become timeline entries (with the message's own time and permalink), unpins remove them,
edits of pinned messages update them; every human message counts towards its author's
participation; registered keyword handlers run on matching messages; renames keep the stored
channel name in step. The bot's own messages never get here (``dispatch.is_from_a_bot``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.utils import timezone

from core import services
from core.models import Incident, TimelineEventKind
from slack import registry
from slack.channel_rename import record_channel_name
from slack.registry import event_handler
from slack.slack_text import ts_to_datetime
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
    _count_participation(incident, user_for(user_id).pk)
    _run_keyword_handlers(incident, user_id, event.get("text", ""), event.get("ts", ""))


def _follow_edit(incident: Incident, event: dict[str, Any]) -> None:
    message = event.get("message") or {}
    if message.get("ts"):
        services.timeline_source_edit(
            incident=incident,
            source_ref=pin_source(event["channel"], message["ts"]),
            text=message.get("text", ""),
        )


def _count_participation(incident: Incident, user_pk: int) -> None:
    # One atomic statement: two messages handled at once by two workers both count.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO slack_userstats (incident_id, user_id, first_message_at, message_count)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (incident_id, user_id)
            DO UPDATE SET message_count = slack_userstats.message_count + 1
            """,
            [incident.pk, user_pk, timezone.now()],
        )


def _run_keyword_handlers(incident: Incident, user_id: str, text: str, ts: str) -> None:
    lowered = text.lower()
    called: set[int] = set()
    for entry in registry.keyword_handlers:
        if entry.key in lowered and id(entry.handler) not in called:
            called.add(id(entry.handler))
            entry.handler(incident.comms_channel, user_id, text, ts)


@event_handler("channel_rename")
@event_handler("group_rename")
def follow_rename(incident: Incident, event: dict[str, Any]) -> None:
    channel = event.get("channel") or {}
    if isinstance(channel, dict) and channel.get("id") and channel.get("name"):
        record_channel_name(channel_id=channel["id"], name=channel["name"])
