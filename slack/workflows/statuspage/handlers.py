"""Posting an incident on Statuspage (SPEC §9): ``@incident statuspage|sp``, its button, the
modal, and the jobs that talk to Statuspage.

The click opens a "loading" modal in the request (the trigger id lasts 3 s) and a job fills it
with the page's components. A submission is checked in the request and carried out by a job:
the first creates the Statuspage incident and links it, later ones update it. Once the link is
resolved, nothing here changes it again.

Each submission is applied once: the link records the last one Statuspage accepted, together
with the channel's notice of it until that is posted, so a retried job neither creates a second
Statuspage incident nor repeats an update. Whatever goes wrong is told to the person who asked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction

from core import services
from core.access import Permission, require
from core.models import Incident, Severity
from integrations.statuspage import (
    StatuspageError,
    components,
    incident_create,
    incident_get,
    incident_update,
    unresolved_incidents,
)
from slack.block_kit import modal_errors, read_metadata
from slack.delivery.idempotency import post_once
from slack.delivery.jobs import job
from slack.delivery.outbox import send_ephemeral_or_dm, tell_user
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline.buttons import incident_for_click
from slack.incoming.parsing import ActionContext, ViewContext
from slack.registry import action_handler, incident_command, view_handler
from slack.users import user_for
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError
from slack.workflows.config import workflow_config, workflow_enabled
from slack.workflows.crypto import UnreadableSecret
from slack.workflows.models import StatuspageIncident
from slack.workflows.statuspage import blocks
from slack.workflows.statuspage.services import (
    statuspage_link_record,
    statuspage_link_refresh,
    statuspage_notice_posted,
)

logger = logging.getLogger(__name__)

WORKFLOW = "statuspage"
NOT_ENABLED = "Statuspage isn't set up here: an admin can enable the statuspage workflow."
NOT_CONFIGURED = (
    "Statuspage's API key or page id is missing: an admin can set them in the statuspage workflow."
)
# A sensible first guess at the impact, from the incident's severity.
IMPACT_FOR_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.MAJOR: "major",
    Severity.MINOR: "minor",
    Severity.TRIVIAL: "none",
}
# Slack answers these when the modal was closed or changed meanwhile: nothing left to update.
VIEW_GONE = {"not_found", "hash_conflict"}


class NotReady(Exception):
    """The workflow cannot be used now; the message says why, for the person asking."""


@dataclass(frozen=True)
class Account:
    api_key: str
    page_id: str


@dataclass
class Submission:
    """What the form asked for, checked; ``shown`` is each component's status in the form."""

    name: str
    status: str
    impact: str
    message: str
    components: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


# --- The command and the button ------------------------------------------------------------------


@incident_command(["statuspage", "sp"], helptext="Post this incident on the status page")
def statuspage(incident: Incident, user_id: str, message: str) -> tuple[bool, str | None]:
    require(Permission.STATUSPAGE)
    if not workflow_enabled(WORKFLOW):
        return False, NOT_ENABLED
    link = linked(incident.pk)
    if link is not None and link.is_closed:
        return True, blocks.closed_text(link.name, link.status, link.shortlink)
    text, prompt = blocks.prompt_message(
        incident.pk,
        linked_name=link.name if link else "",
        linked_status=link.status if link else "",
        shortlink=link.shortlink if link else "",
    )
    incident.comms_channel.post_in_channel(text, prompt)
    return True, None


@action_handler(blocks.OPEN_BUTTON, runs="request", atomic=False)
def open_form(context: ActionContext) -> None:
    """Open a loading modal inside the request, then let a job fetch the components."""
    require(Permission.STATUSPAGE)
    incident = incident_for_click(context)
    if incident is None:
        return
    refusal = _refusal(incident.pk)
    if refusal:
        tell_user.defer(channel_id=context.channel_id, user_id=context.user_id, text=refusal)
        return
    try:
        opened = get_slack_client(in_request=True).open_view(
            trigger_id=context.trigger_id, view=blocks.loading_modal(incident.pk)
        )
    except SlackError as error:
        logger.warning("could not open the Statuspage form of incident %s: %s", incident.pk, error)
        text = f"Could not open the Statuspage form: Slack answered `{error.code}`."
        tell_user.defer(channel_id=context.channel_id, user_id=context.user_id, text=text)
        return
    view = opened.get("view") or {}
    load_form.defer(
        view_id=view.get("id", ""),
        view_hash=view.get("hash", ""),
        incident_id=incident.pk,
        channel_id=context.channel_id,
    )


@job("slack.statuspage_load_form")
def load_form(view_id: str, view_hash: str, incident_id: int, channel_id: str) -> None:
    """Replace the loading modal with the form, or with why it cannot be offered."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    view = _form_or_reason(incident, channel_id)
    try:
        get_slack_client().update_view(view_id=view_id, view=view, hash=view_hash or None)
    except SlackError as error:
        if error.code not in VIEW_GONE:
            raise
        logger.info("the Statuspage form %s was closed or changed meanwhile", view_id)


def _form_or_reason(incident: Incident, channel_id: str) -> dict[str, Any]:
    refusal = _refusal(incident.pk)
    if refusal:
        return blocks.problem_modal(incident.pk, refusal)
    try:
        account = _account()
        link = linked(incident.pk)
        if link is not None:
            _refresh(link, account)
            if link.is_closed:
                text = blocks.closed_text(link.name, link.status, link.shortlink)
                return blocks.problem_modal(incident.pk, text)
        found = components(**asdict(account))
    except (NotReady, StatuspageError) as error:
        logger.warning("no Statuspage form for incident %s: %s", incident.pk, error)
        return blocks.problem_modal(incident.pk, f"Could not load the page's components: {error}.")
    return blocks.form_modal(
        incident_id=incident.pk,
        channel_id=channel_id,
        name=link.name if link else incident.title,
        status=link.status if link else "investigating",
        impact=(link.impact if link else "") or IMPACT_FOR_SEVERITY.get(incident.severity, ""),
        components=[(c.id, c.name, c.status) for c in found],
        creating=link is None,
    )


# --- The submission ----------------------------------------------------------------------------


@view_handler(blocks.MODAL)
def submit_form(context: ViewContext) -> dict[str, Any] | None:
    """Check the form in the request (errors show in the modal); a job talks to Statuspage."""
    if context.type != "view_submission":
        return None
    require(Permission.STATUSPAGE)
    metadata = read_metadata(context.private_metadata)
    incident_id = metadata.get("incident_id")
    if not isinstance(incident_id, int) or not Incident.objects.filter(pk=incident_id).exists():
        return modal_errors({blocks.NAME_INPUT: "This incident no longer exists."})
    submission, errors = read_submission(context, linked(incident_id))
    if errors:
        return modal_errors(errors)
    view = context.payload.get("view") or {}
    key = f"{context.view_id}:{view.get('hash', '')}" if context.view_id else uuid.uuid4().hex
    submit.defer(
        incident_id=incident_id,
        user_id=context.user_id,
        channel_id=metadata.get("channel_id") or "",
        submission=asdict(submission),
        key=key,
    )
    return None


def read_submission(
    context: ViewContext, link: StatuspageIncident | None
) -> tuple[Submission, dict[str, str]]:
    """The submitted form and the errors to show under its fields (none when it is fine)."""
    values = context.values
    submission = Submission(
        name=(values.get(blocks.NAME_INPUT) or "").strip(),
        status=values.get(blocks.STATUS_INPUT) or "",
        impact=values.get(blocks.IMPACT_INPUT) or "",
        message=(values.get(blocks.MESSAGE_INPUT) or "").strip(),
    )
    errors: dict[str, str] = {}
    for block in (context.payload.get("view") or {}).get("blocks") or []:
        block_id = block.get("block_id") or ""
        if not block_id.startswith(blocks.COMPONENT_INPUT_PREFIX):
            continue
        component_id = block_id.removeprefix(blocks.COMPONENT_INPUT_PREFIX)
        chosen = values.get(block_id)
        if chosen not in blocks.COMPONENT_STATUSES:
            errors[block_id] = "Pick one of the statuses."
            continue
        submission.components[component_id] = chosen
        submission.shown[component_id] = (
            (block.get("element") or {}).get("initial_option") or {}
        ).get("value", "")
        submission.names[component_id] = (block.get("label") or {}).get("text", component_id)

    if not submission.name:
        errors[blocks.NAME_INPUT] = "Give the incident a name."
    elif len(submission.name) > blocks.NAME_MAX_LENGTH:
        errors[blocks.NAME_INPUT] = f"At most {blocks.NAME_MAX_LENGTH} characters."
    if submission.status not in blocks.STATUSES:
        errors[blocks.STATUS_INPUT] = "Pick a status."
    if submission.impact not in blocks.IMPACTS:
        errors[blocks.IMPACT_INPUT] = "Pick an impact."
    if link is None and not submission.message:
        errors[blocks.MESSAGE_INPUT] = "Say what people are seeing: it is the first update."
    if link is not None and link.is_closed:
        errors[blocks.STATUS_INPUT] = blocks.closed_text(link.name, link.status, link.shortlink)
    elif link is not None and not errors and not _fields(link, submission):
        errors[blocks.MESSAGE_INPUT] = "Nothing would change: write a message or change a field."
    return submission, errors


@job("slack.statuspage_submit")
def submit(
    incident_id: int, user_id: str, channel_id: str, submission: dict[str, Any], key: str
) -> None:
    """Apply one submission on Statuspage (once, however often the job runs), then tell the
    channel."""
    with transaction.atomic():
        # The incident's row is the lock: two submissions at once cannot both create.
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            return
        link = linked(incident_id)
        refusal = None
        if link is None or link.last_submission != key:
            refusal = _apply(incident, link, user_id, Submission(**submission), key)
    if refusal:
        send_ephemeral_or_dm(channel_id, user_id, refusal)
        return
    _announce(incident_id, channel_id)


def _apply(
    incident: Incident,
    link: StatuspageIncident | None,
    user_id: str,
    submission: Submission,
    key: str,
) -> str | None:
    """Send the submission and record the result; returns why not, if it was not sent."""
    require(Permission.STATUSPAGE)  # the one place Statuspage is written to
    try:
        account = _account()
        if link is not None:
            _refresh(link, account)  # it may have been resolved on Statuspage itself
            if link.is_closed:
                return "Could not update Statuspage: " + blocks.closed_text(
                    link.name, link.status, link.shortlink
                )
        fields = _fields(link, submission)
        if link is None:
            data = _created_earlier(incident, account) or incident_create(
                api_key=account.api_key,
                page_id=account.page_id,
                fields={**fields, "metadata": _marker(incident)},
            )
        else:
            data = incident_update(
                api_key=account.api_key,
                page_id=link.page_id,
                incident_id=link.statuspage_id,
                fields=fields,
            )
    except (NotReady, StatuspageError) as error:
        logger.warning("Statuspage refused incident %s's update: %s", incident.pk, error)
        verb = "create the Statuspage incident" if link is None else "update Statuspage"
        return f"Could not {verb}: {error}."

    created = link is None
    changes = _changes(link, submission)
    name = data.get("name") or submission.name
    shortlink = data.get("shortlink") or (link.shortlink if link else "")
    link = statuspage_link_record(
        incident=incident,
        link=link,
        page_id=account.page_id,
        statuspage_id=str(data.get("id") or (link.statuspage_id if link else "")),
        name=name,
        status=data.get("status") or submission.status,
        impact=submission.impact,
        shortlink=shortlink,
        submission_key=key,
        notice=blocks.change_notice(
            user_id=user_id,
            created=created,
            name=name,
            shortlink=shortlink,
            changes=changes,
            message=submission.message,
        ),
    )
    services.timeline_note_add(
        incident=incident,
        text=_timeline_text(created, link, changes, submission.message),
        author=user_for(user_id),
    )
    return None


def _marker(incident: Incident) -> dict[str, Any]:
    """Statuspage metadata naming the Response incident a Statuspage incident was made for."""
    return {"response": {"incident_id": str(incident.pk)}}


def _created_earlier(incident: Incident, account: Account) -> dict[str, Any] | None:
    """The Statuspage incident an earlier attempt created without recording the link.

    Statuspage has no idempotency key, and an attempt can be cut off after Statuspage created
    the incident: an answer that came too late (the person is told it failed and submits
    again), a killed worker. So before creating, the marker in the metadata is looked for.
    """
    for found in unresolved_incidents(api_key=account.api_key, page_id=account.page_id):
        if (found.get("metadata") or {}).get("response") == _marker(incident)["response"]:
            return found
    return None


def _announce(incident_id: int, channel_id: str) -> None:
    """Post the notice of the last change, once: it is cleared when Slack has it."""
    link = linked(incident_id)
    if link is None or not link.pending_notice:
        return
    comms = CommsChannel.objects.filter(incident_id=incident_id).first()
    # Looked for first when this is a retry: the earlier attempt may have posted it.
    post_once(channel=comms.channel_id if comms else channel_id, text=link.pending_notice)
    statuspage_notice_posted(link=link, notice=link.pending_notice)


# --- Helpers -----------------------------------------------------------------------------------


def linked(incident_id: int) -> StatuspageIncident | None:
    return StatuspageIncident.objects.filter(incident_id=incident_id).first()


def _refusal(incident_id: int) -> str | None:
    """Why the form cannot be offered for this incident, if it cannot."""
    if not workflow_enabled(WORKFLOW):
        return NOT_ENABLED
    link = linked(incident_id)
    if link is not None and link.is_closed:
        return blocks.closed_text(link.name, link.status, link.shortlink)
    return None


def _refresh(link: StatuspageIncident, account: Account) -> None:
    """Bring the link up to date with Statuspage, where someone may have renamed or resolved
    the incident since."""
    data = incident_get(
        api_key=account.api_key, page_id=link.page_id, incident_id=link.statuspage_id
    )
    statuspage_link_refresh(
        link=link, name=data.get("name") or link.name, status=data.get("status") or link.status
    )


def _account() -> Account:
    try:
        workflow = workflow_config(WORKFLOW)
    except UnreadableSecret as error:
        raise NotReady(str(error)) from error
    if not workflow.enabled:
        raise NotReady(NOT_ENABLED)
    api_key = workflow.parameters.get("api_key", "")
    page_id = workflow.parameters.get("page_id", "").strip()
    if not (api_key and page_id):
        raise NotReady(NOT_CONFIGURED)
    return Account(api_key=api_key, page_id=page_id)


def _fields(link: StatuspageIncident | None, submission: Submission) -> dict[str, Any]:
    """The request's ``incident`` object: everything on create, only what changes on update."""
    if link is None:
        affected = {
            component: status
            for component, status in submission.components.items()
            if status != "operational" or status != submission.shown.get(component)
        }
        fields: dict[str, Any] = {
            "name": submission.name,
            "status": submission.status,
            "body": submission.message,
            "impact_override": submission.impact,
        }
    else:
        affected = _changed_components(submission)
        fields = {}
        if submission.name != link.name:
            fields["name"] = submission.name
        # An update on the page (a message) is made with its status.
        if submission.status != link.status or submission.message:
            fields["status"] = submission.status
        if submission.message:
            fields["body"] = submission.message
        if submission.impact != link.impact:
            fields["impact_override"] = submission.impact
    if affected:
        fields["components"] = affected
        fields["component_ids"] = list(affected)
    return fields


def _changed_components(submission: Submission) -> dict[str, str]:
    return {
        component: status
        for component, status in submission.components.items()
        if status != submission.shown.get(component)
    }


def _changes(link: StatuspageIncident | None, submission: Submission) -> list[str]:
    """What changed on the status page, one line each, in words."""
    status = blocks.STATUSES.get
    impact = blocks.IMPACTS.get
    state = blocks.COMPONENT_STATUSES.get
    lines: list[str] = []
    if link is None:
        lines.append(f"Status: {status(submission.status)}")
        lines.append(f"Impact: {impact(submission.impact)}")
    else:
        if submission.name != link.name:
            lines.append(f"Name: {link.name} → {submission.name}")
        if submission.status != link.status:
            lines.append(
                f"Status: {status(link.status, link.status)} → {status(submission.status)}"
            )
        if submission.impact != link.impact:
            before = impact(link.impact, link.impact or "automatic")
            lines.append(f"Impact: {before} → {impact(submission.impact)}")
    for component, now in _changed_components(submission).items():
        before = state(submission.shown.get(component, ""), "unknown")
        lines.append(f"{submission.names.get(component, component)}: {before} → {state(now)}")
    return lines


def _timeline_text(
    created: bool, link: StatuspageIncident, changes: list[str], message: str
) -> str:
    verb = "Posted on" if created else "Updated on"
    text = f"{verb} Statuspage: {link.name}"
    if changes:
        text += " (" + "; ".join(changes) + ")"
    if message:
        text += f"\n{message}"
    return text
