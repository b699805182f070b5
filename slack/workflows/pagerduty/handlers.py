"""Paging through PagerDuty (SPEC §9): ``@incident escalate|esc``, the team buttons it posts, and
the headline's Page on-call button.

Each page is an Events API v2 ``trigger`` with a ``dedup_key`` fixed per incident and team, so
paging the same team twice for one incident adds to the same alert rather than opening another.
Whatever goes wrong is told to the person who asked, with the reason; the channel hears who was
paged.
"""

from __future__ import annotations

import logging

from django.conf import settings

from core.access import Permission, require
from core.models import Incident, Severity
from integrations.pagerduty import PagerDutyError, trigger
from slack.block_kit import document_url
from slack.delivery.outbox import post_in_channel, send_ephemeral_or_dm
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline.buttons import clicker_may_see
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler, headline_button, incident_command
from slack.workflows.config import workflow_config, workflow_enabled
from slack.workflows.crypto import UnreadableSecret
from slack.workflows.models import EscalationTeam
from slack.workflows.pagerduty import blocks

logger = logging.getLogger(__name__)

WORKFLOW = "pagerduty"
NOT_ENABLED = "PagerDuty isn't set up here: an admin can enable the pagerduty workflow."
PAGERDUTY_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.MAJOR: "error",
    Severity.MINOR: "warning",
    Severity.TRIVIAL: "info",
}


def dedup_key(incident: Incident, target: str) -> str:
    """The same for every page of one incident to one team (or the on-call rota)."""
    return f"response-incident-{incident.pk}-{target}"


@incident_command(["escalate", "esc"], helptext="Page a team through PagerDuty")
def escalate(incident: Incident, user_id: str, message: str) -> tuple[bool, str | None]:
    require(Permission.PAGE)
    if not workflow_enabled(WORKFLOW):
        return False, NOT_ENABLED
    text, message = blocks.escalation_message(incident.pk, list(EscalationTeam.objects.all()))
    incident.comms_channel.post_in_channel(text, message or None)
    return True, None


@headline_button()
def on_call_button(incident: Incident) -> dict | None:
    """Page on-call, on the headline of every live incident while PagerDuty is enabled."""
    return blocks.page_on_call_button(incident) if workflow_enabled(WORKFLOW) else None


def _visible_incident(context: ActionContext, value: str) -> Incident | None:
    """The incident a button names; a private one the clicker is not in does not exist."""
    incident = Incident.objects.filter(pk=_int(value)).first()
    if incident is not None and not clicker_may_see(incident, context.user_id):
        return None
    return incident


@action_handler(blocks.PAGE_TEAM, atomic=False)  # it waits on PagerDuty: no transaction held
def page_team(context: ActionContext) -> None:
    incident_id, _, team_id = context.value.partition(":")
    incident = _visible_incident(context, incident_id)
    team = EscalationTeam.objects.filter(pk=_int(team_id)).first()
    if incident is None or team is None:
        _tell(context, "That team or incident no longer exists.")
        return
    try:
        routing_key = team.routing_key
    except UnreadableSecret as error:
        _tell(context, f"Could not page {team.name}: {error}")
        return
    _page(context, incident, routing_key=routing_key, target=f"team-{team.pk}", who=team.name)


@action_handler(blocks.PAGE_ON_CALL, atomic=False)  # it waits on PagerDuty: no transaction held
def page_on_call(context: ActionContext) -> None:
    incident = _visible_incident(context, context.value)
    if incident is None:
        _tell(context, "That incident no longer exists.")
        return
    try:
        workflow = workflow_config(WORKFLOW)
    except UnreadableSecret as error:
        _tell(context, f"Could not page on-call: {error}")
        return
    routing_key = workflow.parameters.get("routing_key", "")
    if not (workflow.enabled and routing_key):
        _tell(context, NOT_ENABLED)
        return
    _page(context, incident, routing_key=routing_key, target="on-call", who="the on-call engineer")


def _page(
    context: ActionContext, incident: Incident, *, routing_key: str, target: str, who: str
) -> None:
    # The one place a page is sent, whichever button asked for it.
    require(Permission.PAGE)
    try:
        trigger(
            routing_key=routing_key,
            dedup_key=dedup_key(incident, target),
            summary=f"Incident {incident.pk}: {incident.title}",
            severity=PAGERDUTY_SEVERITY.get(incident.severity, "info"),
            link=document_url(incident.pk, settings.SITE_URL),
            details={"summary": incident.summary, "impact": incident.impact},
        )
    except PagerDutyError as error:
        logger.warning("paging %s for incident %s failed: %s", who, incident.pk, error)
        _tell(context, f"Could not page {who}: {error}.")
        return
    notice = f":pager: <@{context.user_id}> paged {who} through PagerDuty. Sit tight."
    comms = CommsChannel.objects.filter(incident=incident).first()
    post_in_channel(comms.channel_id if comms else context.channel_id, notice)


def _tell(context: ActionContext, text: str) -> None:
    send_ephemeral_or_dm(context.channel_id, context.user_id, text)


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0
