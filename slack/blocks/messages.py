"""The short texts Response sends around declaring and closing an incident."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack.blocks import document_url, escape, mention
from slack.slack_text import date_token

if TYPE_CHECKING:
    from core.models import Incident


def usage(*, bot_name: str) -> str:
    """The answer to ``/incident help``."""
    bot = f"@{bot_name.lstrip('@')}"
    return (
        "*Declaring an incident*\n"
        "• `/incident <what's happening>` opens a form to report it, with the title filled in "
        "from your text. You can also report something that is already over.\n"
        "• `/incident` on its own opens the same form, empty.\n"
        "• `/incident help` shows this message.\n"
        "Once reported, the incident gets a headline in the incidents channel, with buttons to "
        "create a comms channel, edit it and close it.\n"
        f"In an incident's comms channel, `{bot} help` lists what the bot can do there."
    )


def modal_failed(*, what: str, reason: str) -> str:
    """Why a form could not be opened, with what to do about it."""
    return f":warning: I couldn't open {what}: {reason} Please try again."


def thanks(*, incident: Incident, headline_link: str) -> str:
    """The ephemeral note to the reporter where they typed ``/incident``."""
    if incident.report_only:
        return (
            f"Thanks for reporting it :pray: See {headline_link}, and add what you know to the "
            "report so others can learn from it."
        )
    return (
        f"Thanks for raising the incident :pray: Head over to {headline_link} to complete the "
        "report and/or help deal with the issue."
    )


def closing_notice(*, incident: Incident, closed_by: str | None, site_url: str) -> str:
    """Posted into the comms channel when the incident is closed, whoever closed it and how."""
    who = f" by {mention(closed_by)}" if closed_by else ""
    closed_at = f" {date_token(incident.end_time)}" if incident.end_time else ""
    url = document_url(incident.pk, site_url)
    return (
        f":closed_book: This incident was closed{who}{closed_at}, after "
        f"{incident.duration_text}. Please help complete the report in <{url}|the incident "
        "document> while it is fresh in everyone's mind."
    )


def complete_report_dm(*, incident: Incident, site_url: str) -> str:
    """The DM to the lead (or the reporter) once the incident is closed."""
    url = document_url(incident.pk, site_url)
    return (
        f":wave: Incident {incident.pk}, *{escape(incident.title)}*, is closed. Don't forget "
        f"to complete the report while it's fresh: <{url}|Incident {incident.pk}>."
    )


def already_closed(closed_at: dt.datetime) -> str:
    return f"This incident was already closed {date_token(closed_at)}."


def incident_not_found(value: str) -> str:
    return f"I couldn't find incident {escape(value)}; it may have been deleted."
