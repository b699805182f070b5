"""``@incident <command> [args]`` in a comms channel (SPEC §6.5).

The mention arrives as an ``app_mention`` event, handled in the worker inside one transaction:
the command's change, its reply and its reaction commit together, so a retried delivery (already
de-duplicated on ``event_id``) or a retried job never answers twice.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from core import services
from core.exceptions import IncidentAlreadyClosed
from core.models import Incident, Severity
from slack import registry
from slack.flows.close import blocks as messages
from slack.flows.commands.replies import Reply, answer, bot
from slack.flows.comms_channel.rename import schedule_rename
from slack.flows.lifecycle.lookup import AfterLookup
from slack.registry import event_handler, incident_command
from slack.users import user_for

logger = logging.getLogger(__name__)

# "<@U123> lead <@U456>" or "<@U123|incident> Lead …": leading mentions, a word, the rest.
LEADING_MENTIONS = re.compile(r"^(\s*<@[A-Z0-9]+(?:\|[^>]*)?>)+")
USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def parse_command(text: str) -> tuple[str, str]:
    """(command word in lower case, arguments) from the text of a mention.

    Arguments keep their line breaks; a mention with no command reads as ``help``.
    """
    rest = LEADING_MENTIONS.sub("", text or "", count=1).strip()
    if not rest:
        return "help", ""
    word, _, arguments = rest.partition(" ")
    if "\n" in word:  # "@incident summary\nline one\nline two"
        word, _, more = word.partition("\n")
        arguments = f"{more} {arguments}".strip() if arguments else more
    return word.lower(), arguments.strip()


@event_handler("app_mention")
def handle_mention(incident: Incident, event: dict[str, Any]) -> None:
    """Run the command, then react (✅ or ❓) and post its reply.

    A command returns ``(handled, reply)``, or an ``AfterLookup`` when it cannot be decided
    without asking Slack who someone is: that call may not happen here (this runs atomic), so
    the lookup and the rest of the command are deferred as one job, which answers itself.
    """
    channel, ts, user_id = event["channel"], event["ts"], event.get("user", "")
    word, arguments = parse_command(event.get("text", ""))
    registration = registry.incident_commands.get(word)
    outcome = (
        _unknown_command(word)
        if registration is None
        else registration.run(incident, user_id, arguments)
    )
    if isinstance(outcome, AfterLookup):
        outcome.defer(incident=incident, speaker_id=user_id, channel_id=channel, ts=ts)
        return
    handled, reply = outcome
    answer(incident, channel_id=channel, ts=ts, handled=handled, reply=reply)


def _unknown_command(word: str) -> Reply:
    return False, f"I don't know the command `{word}`. `{bot()} help` lists what I can do."


@incident_command(["help"], helptext="List the commands and how to use them")
def show_help(incident: Incident, user_id: str, message: str) -> Reply:
    seen: dict[int, tuple[list[str], str]] = {}
    for entry in registry.incident_commands:
        seen.setdefault(id(entry.handler), (entry.options["names"], entry.options["helptext"]))
    lines = [
        f"`{' | '.join(names)}` — {helptext}"
        for names, helptext in sorted(seen.values(), key=lambda item: item[0][0].lower())
    ]
    usage = f"Talk to me with `{bot()} <command>`. Commands:"
    return True, "\n".join([usage, *lines])


def _text_field(incident: Incident, user_id: str, field: str, label: str, text: str) -> Reply:
    if not text:
        current = getattr(incident, field) or f"This incident has no {label} yet."
        return True, f"*The current {label}:*\n{current}"
    services.incident_update(incident=incident, actor=user_for(user_id), **{field: text})
    return True, f"*The {label} has been updated to:*\n{text}"


@incident_command(["summary"], helptext="Show the summary, or set it: `summary <text>`")
def set_summary(incident: Incident, user_id: str, message: str) -> Reply:
    return _text_field(incident, user_id, "summary", "summary", message)


@incident_command(["impact"], helptext="Show the impact, or set it: `impact <text>`")
def set_impact(incident: Incident, user_id: str, message: str) -> Reply:
    return _text_field(incident, user_id, "impact", "impact", message)


@incident_command(
    ["severity", "sev"], helptext="Set the severity: critical, major, minor or trivial (or 1-4)"
)
def set_severity(incident: Incident, user_id: str, message: str) -> Reply:
    severity = Severity.parse(message)
    if severity is None:
        return False, (
            f"I don't know the severity `{message or '(none given)'}`. "
            f"Use critical, major, minor or trivial, or 1-4: `{bot()} severity major`."
        )
    services.incident_update(incident=incident, actor=user_for(user_id), severity=severity)
    return True, f"Severity is now {incident.severity_emoji} {severity.label}."


@incident_command(["rename"], helptext="Rename the incident channel: `rename <name>`")
def rename_channel(incident: Incident, user_id: str, message: str) -> Reply:
    if not message.strip():
        return False, f"Give the new name: `{bot()} rename payments-outage`."
    schedule_rename(incident.comms_channel, message, requested_by=user_id)
    return True, None


@incident_command(["duration"], helptext="How long the incident has been running")
def show_duration(incident: Incident, user_id: str, message: str) -> Reply:
    if incident.is_closed:
        return True, f"The incident lasted {incident.duration_text}."
    return True, f"The incident has been running for {incident.duration_text}."


@incident_command(["close"], helptext="Resolve the incident (the same as `status resolved`)")
def close_incident(incident: Incident, user_id: str, message: str) -> Reply:
    try:
        services.incident_close(incident=incident, actor=user_for(user_id))
    except IncidentAlreadyClosed as closed:
        return True, messages.already_closed(closed.closed_at)
    # What people see on close (headline, notice, DM) hangs off the incident_closed signal.
    return True, None


@incident_command(["action"], helptext="Log a follow-up action: `action <what needs doing>`")
def log_action(incident: Incident, user_id: str, message: str) -> Reply:
    if not message.strip():
        return False, f"Say what needs doing: `{bot()} action add an alert on queue depth`."
    services.action_create(incident=incident, details=message, owner=user_for(user_id))
    return True, f":memo: Follow-up logged: {message}"
