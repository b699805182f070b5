"""Django's list of the Slack app's models. Each model lives with the flow (or the role) that owns
its state; this module only gathers them, so that Django finds them and code can import any of
them from one place. The tables keep their names (``slack_<model>``).
"""

from __future__ import annotations

from slack.delivery.models import FailedAttempt
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline.models import HeadlinePost
from slack.flows.postmortem.models import OverdueDigest
from slack.flows.reminders.models import Notification
from slack.flows.updates.models import UpdateReminder
from slack.incoming.models import ProcessedEvent
from slack.workflows.models import (
    EncryptionCanary,
    EscalationTeam,
    StatuspageIncident,
    Workflow,
    WorkflowParameter,
)

__all__ = [
    "CommsChannel",
    "EncryptionCanary",
    "EscalationTeam",
    "FailedAttempt",
    "HeadlinePost",
    "Notification",
    "OverdueDigest",
    "ProcessedEvent",
    "StatuspageIncident",
    "UpdateReminder",
    "Workflow",
    "WorkflowParameter",
]
