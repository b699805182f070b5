"""What the updates flow shows: the update modal, the update itself (comms channel, headline
thread, followers' DMs), the cadence reminders, the follow replies and the catch-up.

Pure: everything comes from the arguments, so each surface is tested without Slack or settings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.lifecycle.milestones import MilestoneKind
from core.lifecycle.statuses import LIVE_STATUSES, IncidentStatus
from core.models.incident import format_duration
from slack.block_kit import Block, date_token, escape, input_block, mention, mrkdwn, plain
from slack.flows.lifecycle.blocks import held_roles_text, status_text
from slack.flows.updates import ids

if TYPE_CHECKING:
    from core.models import Action, Incident, TimelineEvent, Update

TEXT_LIMIT = 3000  # characters of a section's text, and of a modal's text input (Block Kit)
NONE = "none"
# "Next update in" choices: (value in minutes or "none", label).
NEXT_UPDATE_CHOICES: list[tuple[str, str]] = [
    ("15", "15 min"),
    ("30", "30 min"),
    ("60", "1 h"),
    ("120", "2 h"),
    ("240", "4 h"),
    (NONE, "None"),
]
LIVE_ORDER = [s for s in IncidentStatus if s in LIVE_STATUSES]
TIMELINE_ENTRIES = 5
ENTRY_CHARS = 200


# --- The modal --------------------------------------------------------------------------------


def update_modal(incident: Incident, *, interval: dt.timedelta | None) -> dict[str, Any]:
    """The "Share an update" modal: status, current impact, what changed, next steps, next in.

    Status starts at the incident's; "next update in" at the severity's interval when it is one
    of the choices. The incident id travels in ``private_metadata``.
    """
    minutes = str(int(interval.total_seconds() // 60)) if interval else NONE
    initial_next = next(
        (choice for choice in NEXT_UPDATE_CHOICES if choice[0] == minutes),
        NEXT_UPDATE_CHOICES[-1],
    )
    statuses = [_option(status_text(s), s.value) for s in LIVE_ORDER]
    status_element: Block = {"type": "static_select", "options": statuses}
    if incident.status in LIVE_STATUSES:
        status_element["initial_option"] = _option(status_text(incident.status), incident.status)
    return {
        "type": "modal",
        "callback_id": ids.UPDATE_MODAL,
        "title": plain("Share an update"),
        "submit": plain("Share"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"incident_id": incident.pk}),
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(
                    f"*Incident {incident.pk}: {escape(incident.title)}*\nPosted in the comms "
                    "channel, under the headline and to everyone following the incident."
                ),
            },
            input_block(ids.STATUS, "Status", status_element),
            _text_input(ids.IMPACT, "Current impact", incident.impact),
            _text_input(ids.WHAT_CHANGED, "What changed"),
            _text_input(ids.NEXT_STEPS, "Next steps"),
            input_block(
                ids.NEXT_UPDATE_IN,
                "Next update in",
                {
                    "type": "static_select",
                    "options": [_option(label, value) for value, label in NEXT_UPDATE_CHOICES],
                    "initial_option": _option(initial_next[1], initial_next[0]),
                },
            ),
        ],
    }


def _option(text: str, value: str) -> Block:
    return {"text": plain(text), "value": value}


def _text_input(action_id: str, label: str, initial: str = "") -> Block:
    element: Block = {"type": "plain_text_input", "multiline": True, "max_length": TEXT_LIMIT}
    if initial:
        element["initial_value"] = initial[:TEXT_LIMIT]
    return input_block(action_id, label, element, optional=True)


def read_next_update_in(value: str | None) -> dt.timedelta | None:
    """The "next update in" choice as a duration; None for "none" or anything not offered."""
    if value and value.isdigit() and any(value == choice for choice, _ in NEXT_UPDATE_CHOICES):
        return dt.timedelta(minutes=int(value))
    return None


# --- The update, wherever it is posted ---------------------------------------------------------


def update_message(
    incident: Incident, update: Update, *, document_url: str, for_follower: bool = False
) -> tuple[str, list[Block]]:
    """``(fallback text, blocks)`` of a shared update; a follower's copy says why they got it."""
    author = mention(update.author.external_id) if update.author else "someone"
    parts = [
        ("Current impact", update.impact),
        ("What changed", update.what_changed),
        ("Next steps", update.next_steps),
    ]
    said = [(label, text) for label, text in parts if text]
    title = f"📣 *Update on incident {incident.pk}: {escape(incident.title)}*"
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(title)},
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Status*\n{status_text(update.status)}"),
                mrkdwn(f"*Severity*\n{_severity(incident)}"),
            ],
        },
        *(
            {"type": "section", "text": mrkdwn(_cut(f"*{label}*\n{escape(text)}"))}
            for label, text in said
        ),
        {"type": "context", "elements": [mrkdwn(_byline(update, author, document_url))]},
    ]
    if for_follower:
        blocks.append(_follower_footer(incident))
    first = said[0][1] if said else ""
    text = (
        f"Update on incident {incident.pk} ({IncidentStatus(update.status).label}): "
        f"{escape(first)[:300]}"
    )
    return text, blocks


def _byline(update: Update, author: str, document_url: str) -> str:
    due = (
        f"next update {date_token(update.next_update_due)}"
        if update.next_update_due
        else "no next update promised"
    )
    return f"Shared by {author} {date_token(update.created_at)} · {due} · <{document_url}|Document>"


def _follower_footer(incident: Incident) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": plain("🔕 Unfollow"),
                "action_id": ids.UNFOLLOW,
                "value": str(incident.pk),
            }
        ],
    }


def resolution_dm(incident: Incident, *, document_url: str) -> str:
    """What a follower is told when the incident they follow is resolved."""
    return (
        f"💧 Incident {incident.pk} is resolved: {escape(incident.title)}. It ran for "
        f"{incident.duration_text}. The whole story: <{document_url}|the incident document>."
    )


# --- Buttons and prompts ----------------------------------------------------------------------


def share_update_button(incident: Incident) -> Block:
    return {
        "type": "button",
        "text": plain("📣 Share update"),
        "action_id": ids.SHARE_UPDATE,
        "value": str(incident.pk),
        "style": "primary",
    }


def follow_button(incident: Incident) -> Block:
    return {
        "type": "button",
        "text": plain("🔔 Follow"),
        "action_id": ids.FOLLOW,
        "value": str(incident.pk),
    }


def unfollow_button(incident: Incident) -> Block:
    return {
        "type": "button",
        "text": plain("🔕 Unfollow"),
        "action_id": ids.UNFOLLOW,
        "value": str(incident.pk),
    }


def share_prompt(incident: Incident) -> tuple[str, list[Block]]:
    """The answer to ``@incident update``: a mention brings no trigger id to open a modal with,
    so the modal opens from this message's button."""
    text = f"Share an update on incident {incident.pk}: the button opens the form."
    return text, [
        {"type": "section", "text": mrkdwn(f"📣 {text}")},
        {"type": "actions", "elements": [share_update_button(incident)]},
    ]


def follow_reply(incident: Incident, *, created: bool, bot: str) -> str:
    if not created:
        return (
            f"You already follow incident {incident.pk} 👍 Each update and the resolution "
            f"come to you by DM; `{bot} unfollow` stops them."
        )
    return (
        f"🔔 You follow incident {incident.pk} now: each update and the resolution come to you "
        f"by DM. `{bot} unfollow` stops them."
    )


def unfollow_reply(incident: Incident, *, removed: bool) -> str:
    if not removed:
        return f"You were not following incident {incident.pk}: nothing to stop."
    return f"🔕 You no longer follow incident {incident.pk}."


def refused(reason: str) -> str:
    return f"❓ {reason}"


# --- Cadence reminders ------------------------------------------------------------------------


def reminder(
    incident: Incident,
    *,
    due_at: dt.datetime,
    mentioned: Sequence[str],
    second: bool,
) -> tuple[str, list[Block]]:
    """The reminder that an update is due; ``second``: still none after another interval."""
    who = " ".join(mention(user_id) for user_id in dict.fromkeys(mentioned))
    who = who or "Nobody holds the comms role or the lead:"
    if second:
        text = (
            f"🚨 {who} still no update on incident {incident.pk}: one was due "
            f"{date_token(due_at)}. Share where things stand."
        )
    else:
        text = (
            f"⏰ {who} an update on incident {incident.pk} is due {date_token(due_at)}. "
            "Share where things stand."
        )
    return text, [
        {"type": "section", "text": mrkdwn(text)},
        {"type": "actions", "elements": [share_update_button(incident)]},
    ]


# --- The headline's line ----------------------------------------------------------------------


def headline_update_line(last_at: dt.datetime | None, next_due: dt.datetime | None) -> str:
    last = f"last {date_token(last_at)}" if last_at else "none shared yet"
    due = f" · next due {date_token(next_due)}" if next_due else ""
    return f"📣 *Updates:* {last}{due}"


# --- Catching up ------------------------------------------------------------------------------


@dataclass
class CatchUp:
    """Everything the catch-up shows, gathered by the caller."""

    incident: Incident
    document_url: str
    channel_id: str | None
    latest: Update | None
    next_due: dt.datetime | None
    milestones: dict[str, dt.datetime] = field(default_factory=dict)
    timeline: Sequence[TimelineEvent] = ()
    open_actions: Iterable[Action] = ()


def catch_up(facts: CatchUp) -> str:
    """The read-in of SPEC §15, as one message only the asker sees."""
    incident = facts.incident
    roles = held_roles_text(incident.roles_held) or ["nobody holds a role yet"]
    lines = [
        f"🧭 *Catching up on incident {incident.pk}: {escape(incident.title)}*",
        f"*Status:* {status_text(incident.status)} · *Severity:* {_severity(incident)} · "
        f"*Running for:* {format_duration(incident.duration)}",
        "*Roles:* " + " · ".join(roles),
        "",
        *_latest(facts.latest, facts.next_due),
        "",
        "*Milestones:* " + _milestones(facts.milestones),
        "",
        f"*Last {TIMELINE_ENTRIES} timeline entries:*",
        *(_entry(entry) for entry in facts.timeline),
    ]
    if not facts.timeline:
        lines.append("_Nothing on the timeline yet._")
    actions = list(facts.open_actions)
    lines += ["", "*Open follow-ups:*"]
    lines += [_action(action) for action in actions] or ["_None._"]
    links = [f"<{facts.document_url}|Incident document>"]
    if facts.channel_id:
        links.append(f"<#{facts.channel_id}>")
    lines += ["", "*Links:* " + " · ".join(links)]
    return "\n".join(lines)


def _latest(latest: Update | None, next_due: dt.datetime | None) -> list[str]:
    due = f" Next due {date_token(next_due)}." if next_due else ""
    if latest is None:
        return [f"*Latest update:* none shared yet.{due}"]
    lines = [f"*Latest update* ({date_token(latest.created_at)}):{due}"]
    for label, text in (
        ("Impact", latest.impact),
        ("What changed", latest.what_changed),
        ("Next steps", latest.next_steps),
    ):
        if text:
            lines.append(f"> *{label}:* {escape(_short(text))}")
    return lines


def _milestones(times: dict[str, dt.datetime]) -> str:
    shown = [
        f"{kind.label} {date_token(times[kind.value])}"
        for kind in MilestoneKind
        if kind.value in times
    ]
    return " · ".join(shown) or "none yet"


def _entry(entry: TimelineEvent) -> str:
    return f"• {date_token(entry.time)} {escape(_short(entry.text))}"


def _action(action: Action) -> str:
    owner = f" ({mention(action.owner.external_id)})" if action.owner else ""
    return f"• {escape(_short(action.details))}{owner}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ENTRY_CHARS else text[: ENTRY_CHARS - 1] + "…"


def _severity(incident: Incident) -> str:
    if not incident.severity_text:
        return "☁️ not set"
    return f"{incident.severity_emoji} {incident.severity_text.capitalize()}"


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
