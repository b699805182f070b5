"""The default reminders (SPEC §6.9), posted into the comms channel by the cron sweep.

A reminder whose condition no longer holds posts nothing, and the sweep then does not count it.
"""

from __future__ import annotations

from django.conf import settings

from core.models import Incident
from slack.registry import recurring_notification


def _bot() -> str:
    return f"@{settings.INCIDENT_BOT_NAME}"


@recurring_notification(interval_mins=2, max_notifications=5)
def remind_no_lead(incident: Incident) -> None:
    if incident.lead is None:
        incident.comms_channel.post_in_channel(
            ":bust_in_silhouette: This incident has no lead yet. "
            f"Take it with `{_bot()} lead`, or hand it over with `{_bot()} lead @someone`."
        )


@recurring_notification(interval_mins=5, max_notifications=5)
def remind_no_severity(incident: Incident) -> None:
    if incident.severity is None:
        incident.comms_channel.post_in_channel(
            ":cloud: This incident has no severity yet. Set one with "
            f"`{_bot()} severity critical|major|minor|trivial`."
        )


@recurring_notification(interval_mins=12 * 60, max_notifications=6)
def remind_still_open(incident: Incident) -> None:
    if incident.is_live:
        incident.comms_channel.post_in_channel(
            f":hourglass: This incident has been open for {incident.duration_text} "
            f"({incident.status_emoji} {incident.status_label}). Can it be resolved? If so: "
            f"`{_bot()} status resolved`."
        )
