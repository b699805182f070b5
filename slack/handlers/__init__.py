"""Built-in Slack behaviour, one module per flow, registered with the same decorators plugins use.

Each module is imported here explicitly so the registries are complete and greppable.
"""

from slack.handlers import (
    close,  # noqa: F401
    commands,  # noqa: F401
    comms_channel,  # noqa: F401
    declare,  # noqa: F401
    events,  # noqa: F401
    reminders,  # noqa: F401
)
from slack.workflows import pagerduty, statuspage  # noqa: F401
