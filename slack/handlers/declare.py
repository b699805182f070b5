"""Declaring an incident with ``/incident`` and editing it from its headline (SPEC §6.1, 6.2, 6.7).

Opening a modal cannot wait for the job queue, because the trigger id it needs expires after
3 seconds: ``/incident`` opens it just after answering Slack, the Edit button inside its request.
Everything the submissions cause in Slack (the headline, the thanks) is deferred as jobs in the
transaction that records the incident.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core import selectors, services
from core.models import ExternalUser, Incident
from slack import after_response, ids
from slack.blocks import messages, modals
from slack.client import get_slack_client
from slack.errors import ExpiredTriggerId, SlackConnectionError, SlackError
from slack.forms import FIELD_INPUTS, IncidentForm
from slack.headline import schedule_thanks
from slack.jobs import job
from slack.outbox import send_ephemeral_or_dm
from slack.registry import action_handler, slash_command, view_handler
from slack.request import ActionContext, SlashCommand, ViewContext
from slack.users import user_for

logger = logging.getLogger(__name__)

Answer = dict[str, Any] | str | None


@slash_command("/incident")
def report_incident(command: SlashCommand) -> Answer:
    """``/incident help`` explains; ``/incident [title]`` opens the report modal."""
    if command.text.strip().lower() == "help":
        return messages.usage(bot_name=settings.INCIDENT_BOT_NAME)
    view = modals.report_modal(title=command.text, channel_id=command.channel_id)
    # Slack is answered at once; the modal opens a moment later, well within the trigger's 3 s.
    after_response.soon(
        open_report_modal,
        trigger_id=command.trigger_id,
        view=view,
        user_id=command.user_id,
        response_url=command.response_url,
    )
    return None


def open_report_modal(*, trigger_id: str, view: dict, user_id: str, response_url: str) -> None:
    """Open the report modal; if Slack will not, tell the person why, where they typed."""
    client = get_slack_client(in_request=True)
    try:
        client.open_view(trigger_id=trigger_id, view=view)
    except SlackError as error:
        logger.warning("could not open the report modal for %s: %s", user_id, error)
        reason = messages.modal_failed(what="the incident form", reason=_why(error))
        client.respond(response_url=response_url, text=reason)


@view_handler(ids.REPORT_MODAL)
def declare_incident(context: ViewContext) -> Answer:
    """Record the incident at once; the headline and the thanks follow as jobs."""
    if context.type != "view_submission":
        return None
    form = IncidentForm.from_values(context.values)
    if not form.is_valid():
        return _errors(form.errors_by_block())
    data = form.cleaned_data
    channel_id = modals.read_metadata(context.private_metadata).get("channel_id")
    try:
        with transaction.atomic():
            incident = services.incident_declare(
                title=data["title"],
                reporter=_user(context.user_id),
                summary=data["summary"],
                impact=data["impact"],
                lead=_user(data["lead"]),
                severity=data["severity"],
                report_only=form.report_only,
            )
            # Only this flow knows where the command was typed, so it promises the thanks
            # itself, in the same transaction as the incident.
            if channel_id:
                schedule_thanks(
                    incident_id=incident.pk, channel_id=channel_id, user_id=context.user_id
                )
    except ValidationError as error:
        return _errors(_model_errors(error))
    return None


@action_handler(ids.EDIT_INCIDENT, immediate=True)
def open_edit_modal(context: ActionContext) -> None:
    """The Edit button: the report modal again, prefilled (in the request, for the trigger)."""
    incident = incident_for_click(context)
    if incident is None:
        return
    try:
        get_slack_client(in_request=True).open_view(
            trigger_id=context.trigger_id, view=modals.edit_modal(incident)
        )
    except SlackError as error:
        logger.warning("could not open the edit modal of incident %s: %s", incident.pk, error)
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=messages.modal_failed(
                what=f"the form to edit incident {incident.pk}", reason=_why(error)
            ),
        )


@view_handler(ids.EDIT_MODAL)
def save_incident(context: ViewContext) -> Answer:
    """Save what changed; the service records each change on the timeline."""
    if context.type != "view_submission":
        return None
    form = IncidentForm.from_values(context.values)
    if not form.is_valid():
        return _errors(form.errors_by_block())
    metadata = modals.read_metadata(context.private_metadata)
    incident = incident_from_button(str(metadata.get("incident_id")))
    if incident is None:
        return _errors({ids.TITLE_INPUT: "This incident no longer exists."})
    try:
        with transaction.atomic():
            changes = _changed_fields(incident, form.cleaned_data, metadata.get("shown") or {})
            if changes:
                services.incident_update(incident=incident, actor=_user(context.user_id), **changes)
    except ValidationError as error:
        return _errors(_model_errors(error))
    return None


def incident_for_click(context: ActionContext) -> Incident | None:
    """The incident a headline button names, or None after telling the clicker it is gone."""
    incident = incident_from_button(context.value)
    if incident is None:
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=messages.incident_not_found(context.value),
        )
    return incident


@job("slack.tell_user")
def tell_user(channel_id: str, user_id: str, text: str) -> None:
    """An ephemeral note to one person; by DM when the bot cannot post in that channel."""
    send_ephemeral_or_dm(channel_id, user_id, text)


# --- Helpers -----------------------------------------------------------------------------------


def incident_from_button(value: str) -> Incident | None:
    """The incident a headline button (its value) or a modal's metadata refers to."""
    try:
        return selectors.incident_get(incident_id=int(value))
    except (ValueError, Incident.DoesNotExist):
        logger.warning("no incident %r behind a button or modal", value)
        return None


def _user(external_id: str | None) -> ExternalUser | None:
    return user_for(external_id) if external_id else None


def _changed_fields(
    incident: Incident, data: dict[str, Any], shown: dict[str, str]
) -> dict[str, Any]:
    """What this person edited in the modal (compared with what it showed them) and what differs
    from the incident now: only those fields are saved, and only they reach the timeline."""
    submitted = {
        "title": data["title"],
        "summary": data["summary"],
        "impact": data["impact"],
        "lead": data["lead"] or None,
        "severity": data["severity"],
    }
    current = {
        "title": incident.title,
        "summary": incident.summary,
        "impact": incident.impact,
        "lead": incident.lead.external_id if incident.lead else None,
        "severity": incident.severity,
    }
    edited = {
        name: value
        for name, value in submitted.items()
        if shown.get(name) != modals.fingerprint(value) and value != current[name]
    }
    if "lead" in edited:
        edited["lead"] = _user(edited["lead"])
    return edited


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    """Slack's answer that keeps the modal open and shows each message under its field."""
    return {"response_action": "errors", "errors": errors}


def _model_errors(error: ValidationError) -> dict[str, str]:
    """The model's own validation, should it refuse what the form let through."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    return {
        FIELD_INPUTS.get(field, ids.TITLE_INPUT): field_messages[0]
        for field, field_messages in by_field.items()
    }


def _why(error: SlackError) -> str:
    """The reason a modal did not open, in words for the person who asked."""
    if isinstance(error, ExpiredTriggerId):
        return "Slack handed your request over too late (a form must open within 3 seconds)."
    if isinstance(error, SlackConnectionError):
        return "Slack could not be reached."
    return f"Slack answered `{error.code}`."
