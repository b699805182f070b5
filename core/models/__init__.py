"""The incident domain (SPEC §5). One model per module; import them from here."""

from core.models.action import Action, ActionPriority
from core.models.external_user import ExternalUser
from core.models.incident import Incident, IncidentStatus, Severity
from core.models.participation import Participation
from core.models.timeline_event import TimelineEvent, TimelineEventKind

__all__ = [
    "Action",
    "ActionPriority",
    "ExternalUser",
    "Incident",
    "IncidentStatus",
    "Participation",
    "Severity",
    "TimelineEvent",
    "TimelineEventKind",
]
