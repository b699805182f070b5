"""The incident domain (SPEC §5). One model per module; import them from here."""

from core.lifecycle.milestones import MilestoneKind
from core.lifecycle.statuses import IncidentStatus
from core.models.access import (
    AccessReason,
    AccessRequest,
    AccessRequestStatus,
    IncidentAccess,
)
from core.models.action import Action, ActionPriority, ActionStatus
from core.models.audit import AuditAction, AuditEntry, AuditVia
from core.models.external_user import ExternalUser
from core.models.incident import Incident, Severity
from core.models.incident_tally import IncidentTally
from core.models.milestone import Milestone
from core.models.participation import Participation
from core.models.postmortem import (
    Postmortem,
    PostmortemRevision,
    PostmortemSection,
    PostmortemSectionKey,
    PostmortemStatus,
)
from core.models.role import LEAD, Role, RoleAssignment
from core.models.slack_user_group import SlackUserGroup
from core.models.timeline_event import (
    TimelineChange,
    TimelineEdit,
    TimelineEditKind,
    TimelineEvent,
    TimelineEventKind,
)
from core.models.update import (
    DEFAULT_CADENCE,
    Follower,
    Update,
    UpdateCadence,
)

__all__ = [
    "DEFAULT_CADENCE",
    "LEAD",
    "AccessReason",
    "AccessRequest",
    "AccessRequestStatus",
    "Action",
    "ActionPriority",
    "ActionStatus",
    "AuditAction",
    "AuditEntry",
    "AuditVia",
    "ExternalUser",
    "Follower",
    "Incident",
    "IncidentAccess",
    "IncidentStatus",
    "IncidentTally",
    "Milestone",
    "MilestoneKind",
    "Participation",
    "Postmortem",
    "PostmortemRevision",
    "PostmortemSection",
    "PostmortemSectionKey",
    "PostmortemStatus",
    "Role",
    "RoleAssignment",
    "Severity",
    "SlackUserGroup",
    "TimelineChange",
    "TimelineEdit",
    "TimelineEditKind",
    "TimelineEvent",
    "TimelineEventKind",
    "Update",
    "UpdateCadence",
]
