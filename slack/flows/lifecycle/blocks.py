"""What the lifecycle flow says and shows: replies, refusals, the Status menu, a role's duty DM.

Pure: everything comes from the arguments, so each text is tested without Slack or settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from core.lifecycle.milestones import MILESTONE_MEANING, MilestoneKind
from core.lifecycle.statuses import (
    NEEDS_REASON,
    STATUS_EMOJI,
    STATUS_MEANING,
    IncidentStatus,
    allowed_moves,
)
from core.lifecycle.when import ACCEPTED_FORMS
from slack.block_kit import Block, date_token, escape, mention, plain
from slack.flows.lifecycle import ids

if TYPE_CHECKING:
    from core.models import Incident, Role, RoleAssignment

S = IncidentStatus
STATUS_MENU_PLACEHOLDER = "Status"


def status_text(status: str) -> str:
    """``🛠️ Fixing``: how a status is shown everywhere in Slack."""
    return f"{STATUS_EMOJI[status]} {IncidentStatus(status).label}"


# --- The Status menu --------------------------------------------------------------------------


def menu_moves(status: str) -> list[str]:
    """The moves the menu can make on its own: those that need no reason and no merge target.

    A reopen needs a reason and a merge needs the other incident, which a menu cannot ask for;
    they are made with ``@incident status``. So the menu lists exactly what a click can do.
    """
    return [
        target
        for target in allowed_moves(status)
        if (status, target) not in NEEDS_REASON and target != S.MERGED
    ]


def menu_value(incident_id: int, status: str) -> str:
    return f"{incident_id}:{status}"


def read_menu_value(value: str) -> tuple[int, str] | None:
    """(incident id, status) from an option's value; None when it is not one of ours."""
    incident_id, _, status = value.partition(":")
    if not incident_id.isdigit() or status not in S.values:
        return None
    return int(incident_id), status


def status_menu(incident: Incident) -> Block | None:
    """The Status menu of a live incident's headline, or None when no click can move it."""
    moves = menu_moves(incident.status)
    if not moves:
        return None
    return {
        "type": "static_select",
        "action_id": ids.STATUS_MENU,
        "placeholder": plain(f"{STATUS_MENU_PLACEHOLDER}: {incident.status_label}"),
        "options": [
            {"text": plain(status_text(move)), "value": menu_value(incident.pk, move)}
            for move in moves
        ],
    }


# --- Status -----------------------------------------------------------------------------------


def status_now(incident: Incident, bot: str) -> str:
    moves = allowed_moves(incident.status)
    where = f" It can go to: {', '.join(moves)}." if moves else " It cannot change any more."
    return (
        f"Status: {status_text(incident.status)} ({STATUS_MEANING[incident.status]}).{where} "
        f"Change it with `{bot} status <status>`."
    )


def status_changed(incident: Incident, old: str) -> str:
    if old == S.RESOLVED and incident.is_live:
        return f"Reopened: the status is now {status_text(incident.status)}."
    if incident.status == S.MERGED and incident.merged_into_id:
        return (
            f"{status_text(S.MERGED)}: this incident is now tracked in incident "
            f"{incident.merged_into_id}."
        )
    return f"Status is now {status_text(incident.status)}."


def unknown_status(text: str, bot: str) -> str:
    known = ", ".join(f"{status} ({STATUS_MEANING[status]})" for status in S.values)
    return (
        f"I don't know the status `{escape(text) or '(none given)'}`. Statuses: {known}. "
        f"For example `{bot} status fixing`."
    )


def merge_target_missing(text: str, bot: str) -> str:
    return (
        f"I couldn't find incident `{escape(text) or '(none given)'}` to merge into. "
        f"Name it by its number: `{bot} status merged 123` (or `#123`)."
    )


def menu_refused(message: str, bot: str) -> str:
    return f"{message} (Reopening and merging are done with `{bot} status`.)"


# --- Roles ------------------------------------------------------------------------------------


def role_line(role: Role, holder_id: str | None) -> str:
    holder = mention(holder_id) if holder_id else "_nobody yet_"
    return f"*{escape(role.label)}* (`{role.name}`): {holder} — {escape(role.duty)}"


def roles_list(roles: Iterable[Role], held: dict[str, str], bot: str) -> str:
    lines = [role_line(role, held.get(role.name)) for role in roles]
    if not lines:
        return "No roles are configured (the admin lists them)."
    usage = f"Give one with `{bot} role <role> @someone` (or `{bot} role <role>` to take it)."
    return "\n".join(["*Roles*", *lines, usage])


def role_given(role: Role, holder_id: str) -> str:
    if role.name == "lead":
        return f"{mention(holder_id)} is now leading this incident."
    return f"{mention(holder_id)} is now the {escape(role.label)}."


def role_unchanged(role: Role, holder_id: str) -> str:
    return f"{mention(holder_id)} already is the {escape(role.label)}."


def nobody_named(text: str, role_name: str, bot: str) -> str:
    return (
        f"I couldn't tell who `{escape(text)}` is. Mention them so Slack links the name: "
        f"`{bot} {role_name} @someone`, or `{bot} {role_name}` alone to take it yourself."
    )


def not_in_workspace(holder_id: str) -> str:
    return (
        f"{mention(holder_id)} is not a member of this workspace (unknown or deactivated), so "
        "I left the role as it was."
    )


def held_roles_text(assignments: Sequence[RoleAssignment]) -> list[str]:
    """``Incident lead: <@U…>`` for every held role, in the roles' order."""
    return [
        f"{escape(held.role.label)}: {mention(held.holder.external_id)}" for held in assignments
    ]


def duty_dm(*, incident: Incident, role: Role, document_url: str, channel_id: str | None) -> str:
    """The DM to a new role holder: what the role is there to do, and where the work is."""
    where = f" The work happens in <#{channel_id}>." if channel_id else ""
    drill = " (a drill)" if incident.drill else ""
    return (
        f":wave: You are now the *{escape(role.label)}* of incident {incident.pk}{drill}, "
        f"*{escape(incident.title)}*.\n*Your duty:* {escape(role.duty)}{where} "
        f"<{document_url}|Incident document>."
    )


# --- Milestones -------------------------------------------------------------------------------


def milestone_usage(bot: str) -> str:
    return f"`{bot} milestone <milestone> <when>`; <when> is one of: {ACCEPTED_FORMS}."


def unknown_milestone(text: str, bot: str) -> str:
    known = ", ".join(MilestoneKind.values)
    return (
        f"I don't know the milestone `{escape(text) or '(none given)'}`. Milestones: {known}. "
        f"Use {milestone_usage(bot)}"
    )


def milestones_list(times: dict[str, dt.datetime], bot: str) -> str:
    lines = [
        f"*{kind.label}* — {date_token(times[kind]) if kind in times else '_not set_'} "
        f"({MILESTONE_MEANING[kind]})"
        for kind in MilestoneKind
    ]
    return "\n".join(["*Milestones*", *lines, f"Set one with {milestone_usage(bot)}"])


def milestone_stored(kind: str, moment: dt.datetime, zone_name: str) -> str:
    read_in = f" (I read the time in {zone_name})" if zone_name else ""
    return f"{MilestoneKind(kind).label} is now {date_token(moment)}{read_in}."
