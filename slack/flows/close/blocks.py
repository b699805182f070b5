"""What people are told when an incident closes (SPEC §6.8)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack.block_kit import date_token, document_url, escape, mention, postmortem_url

if TYPE_CHECKING:
    from core.models import Incident


def closing_notice(*, incident: Incident, closed_by: str | None, site_url: str) -> str:
    """Posted into the comms channel when the incident is resolved, whoever resolved it and how."""
    who = f" by {mention(closed_by)}" if closed_by else ""
    closed_at = f" {date_token(incident.end_time)}" if incident.end_time else ""
    url = document_url(incident.pk, site_url)
    return (
        f":closed_book: This incident was resolved{who}{closed_at}, after "
        f"{incident.duration_text}. Please help complete the report in <{url}|the incident "
        "document> while it is fresh in everyone's mind."
    )


def complete_report_dm(*, incident: Incident, site_url: str) -> str:
    """The DM to the lead (or the reporter) once the incident is resolved: the postmortem is
    where the report is completed, prefilled from the incident document."""
    url = postmortem_url(incident.pk, site_url)
    return (
        f":wave: Incident {incident.pk}, *{escape(incident.title)}*, is resolved. Don't forget "
        f"to complete the report while it's fresh: <{url}|the postmortem of incident "
        f"{incident.pk}>, prefilled from what happened."
    )


def already_closed(closed_at: dt.datetime) -> str:
    return f"This incident is already over: it ended {date_token(closed_at)}."
