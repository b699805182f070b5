"""``@incident status|role|roles|lead|milestone`` (SPEC §14).

Each runs inside its mention's transaction (atomic, no Slack calls). Refusals come from the
domain (``core.services``) with the allowed moves or the broken order named, and are answered
with ❓; nothing changes. Giving a role, and reading a time in the speaker's zone when it is not
cached yet, need ``users.info`` first: those return an ``AfterLookup`` and are finished by a job
(see ``lookup.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from core import selectors, services
from core.lifecycle.milestones import MilestoneKind
from core.lifecycle.statuses import IncidentStatus
from core.lifecycle.when import UnreadableTime, parse_when, zone_named
from core.models import LEAD, ExternalUser, Incident, Role
from slack.flows.commands.replies import Reply, bot
from slack.flows.lifecycle import blocks
from slack.flows.lifecycle.lookup import AfterLookup, finishing_step
from slack.registry import incident_command
from slack.users import user_for

USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
INCIDENT_NUMBER = re.compile(r"#?(\d+)")

Outcome = Reply | AfterLookup

# --- Status -----------------------------------------------------------------------------------


@incident_command(
    ["status"],
    helptext="Show the status, or move it: `status fixing`; reopen with "
    "`status investigating <reason>`; merge with `status merged <incident number>`",
)
def set_status(incident: Incident, user_id: str, message: str) -> Reply:
    if not message.strip():
        return True, blocks.status_now(incident, bot())
    word, _, rest = message.strip().partition(" ")
    status = IncidentStatus.parse(word)
    if status is None:
        return False, blocks.unknown_status(word, bot())
    reason, merged_into = rest.strip(), None
    if status == IncidentStatus.MERGED and reason:
        merged_into = _incident_numbered(reason)
        if merged_into is None:
            return False, blocks.merge_target_missing(reason, bot())
        reason = ""
    try:
        old = services.incident_status_set(
            incident=incident,
            status=status,
            actor=user_for(user_id),
            reason=reason,
            merged_into=merged_into,
        )
    except services.TransitionRefused as refused:
        return False, refused.message
    return True, blocks.status_changed(incident, old)


def _incident_numbered(text: str) -> Incident | None:
    matched = INCIDENT_NUMBER.fullmatch(text.strip())
    if matched is None:
        return None
    return Incident.objects.filter(pk=int(matched[1])).first()


# --- Roles ------------------------------------------------------------------------------------

# Who ``role <role> <argument>`` names, first match wins: nothing means the speaker, a real
# mention means that person. Anything else ("bob", "@nobody" typed as text, an empty or broken
# "<@") names nobody, and guessing the speaker there would hand them the role by accident.
PERSON_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"^$"), lambda _, speaker: speaker),
    (USER_MENTION, lambda mentioned, _: mentioned.group(1)),  # matched from the start
]


def person_named_by(text: str, speaker_id: str) -> str | None:
    """The Slack user id ``<role> <text>`` asks for, or None when it names nobody."""
    for pattern, who in PERSON_RULES:
        if matched := pattern.match(text.strip()):
            return who(matched, speaker_id)
    return None


def _give(role_name: str, text: str, speaker_id: str) -> Outcome:
    try:
        role = services.role_named(role_name)
    except services.UnknownRole as unknown:
        return False, unknown.message
    holder_id = person_named_by(text, speaker_id)
    if holder_id is None:
        command = "lead" if role.name == LEAD else f"role {role.name}"
        return False, blocks.nobody_named(text, command, bot())
    # Whether Slack knows this person is only known by asking it: finished by a job.
    return AfterLookup("role", holder_id, {"role": role.name, "holder_id": holder_id})


@incident_command(
    ["role"], helptext="Give a role: `role <role> @someone` (or `role <role>` to take it)"
)
def set_role(incident: Incident, user_id: str, message: str) -> Outcome:
    role_name, _, rest = message.strip().partition(" ")
    if not role_name:
        return True, _roles_text(incident)
    return _give(role_name, rest, user_id)


@incident_command(["lead"], helptext="Make someone the lead: `lead @someone` (or yourself)")
def set_lead(incident: Incident, user_id: str, message: str) -> Outcome:
    return _give(LEAD, message, user_id)


@incident_command(["roles"], helptext="List the roles, who holds each, and what each is for")
def show_roles(incident: Incident, user_id: str, message: str) -> Reply:
    return True, _roles_text(incident)


def _roles_text(incident: Incident) -> str:
    held = {
        assignment.role.name: assignment.holder.external_id
        for assignment in incident.role_assignments.select_related("role", "holder")
    }
    return blocks.roles_list(selectors.role_list(), held, bot())


@finishing_step("role")
def give_role(
    incident: Incident,
    speaker: ExternalUser,
    holder: ExternalUser | None,
    arguments: dict[str, Any],
) -> Reply:
    """The role goes to ``holder``, now that Slack has said they are in the workspace."""
    if holder is None:
        return False, blocks.not_in_workspace(arguments["holder_id"])
    try:
        role: Role = services.role_named(arguments["role"])
    except services.UnknownRole as unknown:  # removed in the admin meanwhile
        return False, unknown.message
    change = services.role_assign(incident=incident, role=role, holder=holder, actor=speaker)
    if change is None:
        return True, blocks.role_unchanged(role, holder.external_id)
    return True, blocks.role_given(role, holder.external_id)


# --- Milestones -------------------------------------------------------------------------------

# Two zones far apart: a time that reads the same in both does not depend on the speaker's zone.
_FAR_APART = (dt.UTC, dt.timezone(dt.timedelta(hours=14)))


def depends_on_zone(when: str, now: dt.datetime) -> bool:
    """Does ``when`` mean a different moment in another zone (``14:05``, ``2026-12-01 14:05``)?"""
    try:
        return len({parse_when(when, now=now, zone=zone) for zone in _FAR_APART}) > 1
    except UnreadableTime:
        return False


@incident_command(
    ["milestone"],
    helptext="Show the milestones, or set one: `milestone detected 14:05` "
    "(your time zone; also `14:05 UTC`, `2026-12-01 14:05`, `10m ago`, `now`)",
)
def set_milestone(incident: Incident, user_id: str, message: str) -> Outcome:
    name, _, when = message.strip().partition(" ")
    if not name:
        return True, blocks.milestones_list(services.milestone_times(incident), bot())
    kind = name.lower()
    if kind not in MilestoneKind.values:
        return False, blocks.unknown_milestone(name, bot())
    if not when.strip():
        return False, f"Say when: {blocks.milestone_usage(bot())}"
    now = timezone.now()
    speaker = user_for(user_id)
    if depends_on_zone(when, now) and not speaker.time_zone:
        # The speaker's zone is not cached yet: ask Slack first (finished by a job).
        return AfterLookup(
            "milestone", user_id, {"kind": kind, "when": when, "asked_at": now.isoformat()}
        )
    return _set_milestone(incident, speaker, kind, when, now)


@finishing_step("milestone")
def set_milestone_in_zone(
    incident: Incident,
    speaker: ExternalUser,
    looked_up: ExternalUser | None,
    arguments: dict[str, Any],
) -> Reply:
    """The milestone, read in the zone Slack gave for the speaker (UTC if it gave none)."""
    asked_at = dt.datetime.fromisoformat(arguments["asked_at"])
    return _set_milestone(
        incident, looked_up or speaker, arguments["kind"], arguments["when"], asked_at
    )


def _set_milestone(
    incident: Incident, speaker: ExternalUser, kind: str, when: str, now: dt.datetime
) -> Reply:
    # Shown with the answer whenever it mattered; UTC when Slack gives the speaker no zone.
    zone_name = (speaker.time_zone or "UTC") if depends_on_zone(when, now) else ""
    try:
        moment = parse_when(when, now=now, zone=zone_named(zone_name))
        services.milestone_set(incident=incident, kind=kind, time=moment, actor=speaker)
    except UnreadableTime as unreadable:
        return False, unreadable.message
    except services.MilestoneRefused as refused:
        return False, refused.message
    return True, blocks.milestone_stored(kind, moment, zone_name)
