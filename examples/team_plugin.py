"""An example plugin: enable it with ``RESPONSE_PLUGINS=examples.team_plugin``.

It shows the shape of the extension API (SPEC §7): plain functions, registered by decorator.
"""

from __future__ import annotations

from slack.decorators import incident_command, single_notification

RUNBOOK_URL = "https://wiki.example.com/runbooks/incidents"


@incident_command(["runbook", "rb"], helptext="Link the team's incident runbook")
def runbook(incident, user_id, message):
    return True, f"The runbook for incidents: {RUNBOOK_URL}"


@single_notification(initial_delay_mins=30)
def suggest_status_page(incident):
    """Half an hour in, remind the channel that customers may need to hear about it."""
    if incident.is_live:  # not resolved, declined or merged meanwhile
        incident.comms_channel.post_in_channel(
            ":loudspeaker: 30 minutes in: do customers need a status page update?"
        )
