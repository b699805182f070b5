"""Closing an incident from its headline's Close button (SPEC §6.8).

The button only closes. What people see once an incident is closed (the headline resolved, the
notice in the comms channel, the DM asking for the report) hangs off the ``incident_closed``
signal in ``slack.receivers``, so ``@incident close`` and the API get exactly the same.
"""

from __future__ import annotations

import logging

from django.conf import settings

from core import selectors, services
from core.exceptions import IncidentAlreadyClosed
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.delivery.outbox import tell_user
from slack.flows.close import blocks as messages
from slack.flows.headline import ids
from slack.flows.headline.buttons import incident_for_click
from slack.incoming.parsing import ActionContext
from slack.registry import action_handler
from slack.users import user_for
from slack.web_api.client import get_slack_client

logger = logging.getLogger(__name__)


@action_handler(ids.CLOSE_INCIDENT)
def close_incident(context: ActionContext) -> None:
    """Runs in the worker. Clicking Close on a closed incident says when it was closed."""
    incident = incident_for_click(context)
    if incident is None:
        return
    actor = user_for(context.user_id)
    try:
        services.incident_close(incident=incident, actor=actor)
    except IncidentAlreadyClosed as closed:
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=messages.already_closed(closed.closed_at),
        )


@job("slack.ask_for_report")
def ask_for_report(incident_id: int) -> None:
    """DM the lead (or, with no lead, the reporter) a link to complete the incident report."""
    incident = selectors.incident_list().filter(pk=incident_id).first()
    if incident is None:
        return
    person = incident.lead or incident.reporter
    if person is None:
        logger.info("incident %s has neither lead nor reporter to ask for a report", incident_id)
        return
    dm_channel = get_slack_client().open_dm(users=person.external_id)
    post_once(
        channel=dm_channel,
        text=messages.complete_report_dm(incident=incident, site_url=settings.SITE_URL),
    )
