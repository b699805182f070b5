"""The extension API (SPEC §7): import these in a plugin module listed in ``RESPONSE_PLUGINS``.

from slack.decorators import incident_command

@incident_command(["runbook"], helptext="Link the runbook")
def runbook(incident, user_id, message):
    return True, "https://wiki.example.com/runbooks/payments"
"""

from slack.registry import (
    DuplicateRegistration,
    action_handler,
    event_handler,
    headline_button,
    incident_command,
    keyword_handler,
    recurring_notification,
    single_notification,
    slash_command,
    view_handler,
)

__all__ = [
    "DuplicateRegistration",
    "action_handler",
    "event_handler",
    "headline_button",
    "incident_command",
    "keyword_handler",
    "recurring_notification",
    "single_notification",
    "slash_command",
    "view_handler",
]
