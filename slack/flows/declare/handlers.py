"""Declaring an incident with ``/incident`` and editing it from its headline (SPEC §6.1, 6.2, 6.7).

Opening a modal cannot wait for the job queue, because the trigger id it needs expires after
3 seconds: ``/incident`` opens it just after answering Slack, the Edit button inside its request.
Everything the submissions cause in Slack (the headline, the thanks) is deferred as jobs in the
transaction that records the incident.

What a submission saves follows the fields' table (``fields.py``): the report hands every field
marked ``attribute`` to ``services.incident_declare`` (the "not sure yet" and drill boxes among
them), an edit saves those of the edit modal that this person changed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core import services
from core.access import Acting, Permission, PermissionRefused, Via, allowed
from core.models import ExternalUser, Incident
from slack.block_kit import modal_errors, read_metadata
from slack.delivery.outbox import tell_user
from slack.flows.declare import blocks, fields, ids
from slack.flows.declare.fields import Field
from slack.flows.declare.form import IncidentForm
from slack.flows.headline import ids as headline_ids
from slack.flows.headline.buttons import (
    clicker_may_see,
    incident_for_click,
    incident_from_button,
)
from slack.flows.headline.jobs import schedule_thanks
from slack.incoming import after_response
from slack.incoming.parsing import ActionContext, SlashCommand, ViewContext
from slack.registry import action_handler, slash_command, view_handler
from slack.users import user_for
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError

logger = logging.getLogger(__name__)

Answer = dict[str, Any] | str | None


# It writes nothing and calls Slack only after answering: no transaction to open.
@slash_command("/incident", atomic=False)
def report_incident(command: SlashCommand) -> Answer:
    """``/incident help`` explains; ``/incident [title]`` opens the report modal."""
    if command.text.strip().lower() == "help":
        return blocks.usage(bot_name=settings.INCIDENT_BOT_NAME)
    view = blocks.report_modal(
        text=command.text,
        channel_id=command.channel_id,
        may=lambda permission: _may(command.user_id, permission),
    )
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
        reason = blocks.modal_failed(what="the incident form", reason=_why(error))
        client.respond(response_url=response_url, text=reason)


@view_handler(ids.REPORT_MODAL)
def declare_incident(context: ViewContext) -> Answer:
    """Record the incident at once; the headline and the thanks follow as jobs."""
    if context.type != "view_submission":
        return None
    form = IncidentForm.from_values(context.values)
    if not form.is_valid():
        return modal_errors(form.errors_by_block())
    channel_id = read_metadata(context.private_metadata).get("channel_id")
    reporter = _user(context.user_id)
    try:
        # The service checks what needs a permission (a private incident) against the
        # declarer: a submission forged with a box they were not shown is refused.
        with transaction.atomic():
            incident = services.incident_declare(
                reporter=reporter,
                report_only=form.report_only,
                **_attributes(form.cleaned_data),
            )
            # Only this flow knows where the command was typed, so it promises the thanks
            # itself, in the same transaction as the incident.
            if channel_id:
                schedule_thanks(
                    incident_id=incident.pk, channel_id=channel_id, user_id=context.user_id
                )
    except ValidationError as error:
        return modal_errors(_model_errors(error))
    except PermissionRefused as refused:
        # The box was not shown to them (the modal follows the same rule): say it under the
        # title, which every report modal has.
        return modal_errors({fields.TITLE.name: refused.message})
    return None


@action_handler(headline_ids.EDIT_INCIDENT, runs="request", atomic=False)
def open_edit_modal(context: ActionContext) -> None:
    """The Edit button: the report modal again, prefilled (in the request, for the trigger)."""
    incident = incident_for_click(context)
    if incident is None:
        return
    try:
        get_slack_client(in_request=True).open_view(
            trigger_id=context.trigger_id, view=blocks.edit_modal(incident)
        )
    except SlackError as error:
        logger.warning("could not open the edit modal of incident %s: %s", incident.pk, error)
        tell_user.defer(
            channel_id=context.channel_id,
            user_id=context.user_id,
            text=blocks.modal_failed(
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
        return modal_errors(form.errors_by_block())
    metadata = read_metadata(context.private_metadata)
    incident = incident_from_button(str(metadata.get("incident_id")))
    if incident is not None and not clicker_may_see(incident, context.user_id):
        incident = None  # a modal forged to name a private incident the person is not in
    if incident is None:
        return modal_errors({fields.TITLE.name: "This incident no longer exists."})
    try:
        with transaction.atomic():
            changes = _changed_fields(incident, form.cleaned_data, metadata.get("shown") or {})
            if changes:
                services.incident_update(incident=incident, actor=_user(context.user_id), **changes)
    except ValidationError as error:
        return modal_errors(_model_errors(error))
    return None


# --- Helpers -----------------------------------------------------------------------------------


def _may(user_id: str, permission: Permission) -> bool:
    """Whether the Slack user ``user_id`` may use what ``permission`` names. When everyone may
    (the open policy) this reads nothing, keeping the command's answer fast; otherwise it
    reads the user and their linked login (one query), without creating either."""
    if allowed(Acting(via=Via.SLACK), permission):
        return True
    user = ExternalUser.objects.select_related("owner").filter(external_id=user_id).first()
    return user is not None and allowed(Acting.for_slack_user(user), permission)


def _user(external_id: str | None) -> ExternalUser | None:
    return user_for(external_id) if external_id else None


def _saved(field: Field, value: Any) -> Any:
    """What the services take for a field's cleaned value: a user id becomes that person."""
    return _user(value) if field.user else value


def _attributes(data: dict[str, Any]) -> dict[str, Any]:
    """What a report hands to ``services.incident_declare``: every field marked ``attribute``."""
    attributes = (field for field in fields.FIELDS if field.attribute)
    return {field.name: _saved(field, data[field.name]) for field in attributes}


def _changed_fields(
    incident: Incident, data: dict[str, Any], shown: dict[str, str]
) -> dict[str, Any]:
    """What this person edited in the modal (compared with what it showed them) and what differs
    from the incident now: only those fields are saved, and only they reach the timeline."""
    changes = {}
    for field in fields.EDIT_FIELDS:
        value = data[field.name]
        if shown.get(field.name) != blocks.fingerprint(value) and value != field.current(incident):
            changes[field.name] = _saved(field, value)
    return changes


def _model_errors(error: ValidationError) -> dict[str, str]:
    """The model's own validation, should it refuse what the form let through."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    return {fields.block_for(name): messages[0] for name, messages in by_field.items()}


def _why(error: SlackError) -> str:
    """The reason a modal did not open, in words for the person who asked."""
    return MODAL_REFUSALS.get(error.code, f"Slack answered `{error.code}`.")


# Why a modal did not open, by Slack's error code. A trigger id opens one modal, within 3 s of
# the request it came with (slack-platform.md §3.2); each code says which of those went wrong, so
# the person is told that one. The errors module files all three trigger codes under
# ``ExpiredTriggerId`` (callers react alike), hence the code, not the class, is the key.
MODAL_REFUSALS: dict[str, str] = {
    "expired_trigger_id": (
        "Slack handed your request over too late (a form must open within 3 seconds)."
    ),
    "exchanged_trigger_id": "Slack says this request was already used to open a form.",
    "invalid_trigger_id": "Slack says this request is not valid for opening a form.",
    "connection_error": "Slack could not be reached.",
}
