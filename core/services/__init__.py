"""Every write to the incident domain goes through these functions (SPEC §5, §14).

``incidents`` holds declaring, editing, the timeline and follow-ups; ``lifecycle`` holds status
moves, roles and milestones. Callers import ``core.services`` and use the names below.
"""

from core.services.incidents import (
    ACTION_UPDATABLE_FIELDS,
    TRACKED_FIELDS,
    UPDATABLE_FIELDS,
    action_create,
    action_log,
    action_update,
    external_user_get_or_create,
    external_user_upsert,
    incident_close,
    incident_declare,
    incident_update,
    participation_record_message,
    timeline_note_add,
    timeline_note_update,
    timeline_source_edit,
    timeline_source_remove,
    timeline_source_upsert,
)
from core.services.lifecycle import (
    MilestoneRefused,
    RoleChange,
    TransitionRefused,
    UnknownRole,
    incident_status_set,
    milestone_set,
    milestone_times,
    role_assign,
    role_named,
)

__all__ = [
    "ACTION_UPDATABLE_FIELDS",
    "TRACKED_FIELDS",
    "UPDATABLE_FIELDS",
    "MilestoneRefused",
    "RoleChange",
    "TransitionRefused",
    "UnknownRole",
    "action_create",
    "action_log",
    "action_update",
    "external_user_get_or_create",
    "external_user_upsert",
    "incident_close",
    "incident_declare",
    "incident_status_set",
    "incident_update",
    "milestone_set",
    "milestone_times",
    "participation_record_message",
    "role_assign",
    "role_named",
    "timeline_note_add",
    "timeline_note_update",
    "timeline_source_edit",
    "timeline_source_remove",
    "timeline_source_upsert",
]
