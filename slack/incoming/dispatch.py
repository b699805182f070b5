"""Routing verified Slack requests to their registered handlers, each run as it declared.

A handler's declaration (``slack.registry.Context``) decides everything: handlers declared
``runs="request"`` are called before Slack is answered (slash commands, modal submissions,
actions that open a modal); the others are accepted here (recorded once, so a retried delivery
defers nothing more) and run by the jobs ``slack.process_event`` and ``slack.process_action``,
defined here too. ``Registration.run`` calls each handler as it declared.

Every handler runs as the Slack user the delivery names, and a permission refused to them is
told to them in one place (``slack.incoming.acting.run_refusable``).

``acknowledge`` is the one entry point of both transports (SPEC §17): the HTTP views call it
after verifying and decoding a request, the Socket Mode listener (``slack.socket_mode``) after
receiving an envelope; what it returns is the answer Slack gets either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import psycopg
from django.db import DatabaseError, connection, transaction
from procrastinate.exceptions import ConnectorException

from slack import registry
from slack.delivery.jobs import job
from slack.flows.comms_channel.models import CommsChannel
from slack.incoming.acting import run_refusable
from slack.incoming.dedup import action_key, mark_handled, record_once
from slack.incoming.parsing import (
    ActionContext,
    SlashCommand,
    ViewContext,
    checked_event_envelope,
    checked_interaction,
)

logger = logging.getLogger(__name__)

Answer = dict[str, Any] | str | None
T = TypeVar("T")

# What Slack delivers, named as Socket Mode names its envelope types.
Kind = Literal["slash_commands", "events_api", "interactive"]


# --- One answer for both transports --------------------------------------------------------------


def acknowledge(kind: Kind, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The answer to one delivery: a JSON body, or None for an empty acknowledgement.

    ``payload`` is what Slack sent, decoded: the form fields of a slash command, the JSON of an
    interaction or of an Events API envelope. Raises ``MalformedRequest`` if it is not what Slack
    sends. Runs once more if the database connection was lost under it (see below).
    """
    return _once_more_if_the_database_went_away(lambda: _ANSWERS[kind](payload), kind)


def _answer_slash_command(form: Mapping[str, Any]) -> dict[str, Any] | None:
    if form.get("ssl_check"):
        return None
    return ack_body(handle_slash_command(SlashCommand.from_form(form)))


def _answer_event(body: Mapping[str, Any]) -> dict[str, Any] | None:
    envelope = checked_event_envelope(dict(body))
    if envelope["type"] == "url_verification":
        return {"challenge": str(envelope.get("challenge", ""))}
    if envelope["type"] == "event_callback":
        accept_event(envelope)
    else:
        logger.info("ignored an Events API request of type %s", envelope["type"])
    return None


def _answer_interaction(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    return ack_body(handle_interaction(checked_interaction(dict(payload))))


_ANSWERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]] = {
    "slash_commands": _answer_slash_command,
    "events_api": _answer_event,
    "interactive": _answer_interaction,
}


def ack_body(answer: Answer) -> dict[str, Any] | None:
    """A handler's answer as Slack takes it: a bare string is an ephemeral reply."""
    if isinstance(answer, str):
        return {"response_type": "ephemeral", "text": answer}
    return answer


# Server errors that mean the connection is gone, not that the statement was wrong.
SERVER_GONE = (
    psycopg.errors.AdminShutdown,
    psycopg.errors.CrashShutdown,
    psycopg.errors.CannotConnectNow,
)


def _once_more_if_the_database_went_away(answer: Callable[[], T], what: str) -> T:
    """Answer; if the database connection was lost under it, reconnect and answer again.

    Slack does not retry a command, a click or a submission, so an error would be the person's
    only answer. Answering again is safe: what a delivery writes is one transaction, rolled
    back with the connection, and its Slack work is deferred inside that transaction.
    """
    try:
        return answer()
    except (DatabaseError, ConnectorException) as error:
        if not _connection_lost(error):
            raise
        logger.warning("database connection lost during %s (%s); trying again", what, error)
        connection.close()
        return answer()


def _connection_lost(error: BaseException) -> bool:
    """Whether the driver's own error, wherever it is in the chain, says the connection died."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, SERVER_GONE):
            return True
        # No SQLSTATE: the server sent no error at all, the connection itself failed.
        if isinstance(seen, psycopg.OperationalError) and seen.sqlstate is None:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- Slash commands ----------------------------------------------------------------------------


def handle_slash_command(command: SlashCommand) -> Answer:
    registration = registry.slash_commands.get(command.command)
    if registration is None:
        logger.warning("no handler for slash command %s", command.command)
        return {"response_type": "ephemeral", "text": f"Sorry, I don't know {command.command}."}
    return run_refusable(
        lambda: registration.run(command),
        user_id=command.user_id,
        channel_id=command.channel_id,
        answer_refusal=True,
    )


# --- Events ------------------------------------------------------------------------------------


@transaction.atomic
def accept_event(envelope: dict[str, Any]) -> bool:
    """Record the delivery and defer its handling; False for a repeat or an unhandled type.

    The event id is inserted under a unique constraint in the same transaction as the job, so a
    retry that races the first delivery can never defer a second job.
    """
    event = envelope["event"]
    event_type = event["type"]
    if not registry.event_handlers.get(event_type):
        logger.info("no handler for event %s (%s); ignored", event_type, envelope["event_id"])
        return False
    if not record_once(envelope["event_id"], event_type):
        logger.info("event %s already processed; ignored", envelope["event_id"])
        return False
    process_event.defer(envelope=envelope)
    return True


@transaction.atomic
def run_event(envelope: dict[str, Any]) -> None:
    """Call every handler registered for the event with the incident of its channel.

    One transaction for all handlers: what they write and the replies they defer commit
    together, so a failed attempt leaves nothing behind and its retry does everything once. The
    delivery is marked handled in that transaction too: a job run again after it committed (its
    worker died before recording the job finished) does nothing.
    """
    event = envelope["event"]
    if not mark_handled(envelope.get("event_id", "")):
        logger.info("event %s was already handled; not again", envelope.get("event_id"))
        return
    if is_from_a_bot(event):
        return
    channel_id = event_channel_id(event)
    comms = (
        CommsChannel.objects.select_related("incident").filter(channel_id=channel_id).first()
        if channel_id
        else None
    )
    if comms is None:
        logger.info("event %s in %s, not an incident channel", event["type"], channel_id)
        return
    for registration in registry.event_handlers.get(event["type"]):
        run_refusable(
            lambda registration=registration: _in_savepoint(registration, comms.incident, event),
            user_id=event_user_id(event),
            channel_id=channel_id,
        )


def _in_savepoint(registration: registry.Registration, *args: Any) -> Any:
    # A handler refused a permission is undone alone: the delivery is still marked handled.
    with transaction.atomic():
        return registration.run(*args)


@job("slack.process_event")
def process_event(envelope: dict[str, Any]) -> None:
    """Run the registered handlers of one Events API delivery."""
    run_event(envelope)


def is_from_a_bot(event: dict[str, Any]) -> bool:
    """Bots' posts (ours included) carry ``bot_id``, often with no subtype (slack-platform §4)."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    return bool(
        event.get("bot_id") or event.get("subtype") == "bot_message" or message.get("bot_id")
    )


def event_user_id(event: dict[str, Any]) -> str:
    """Who did it: ``user`` is an id in most events, an object in some (``user_change``)."""
    user = event.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return user if isinstance(user, str) else ""


def event_channel_id(event: dict[str, Any]) -> str:
    """Where the event happened: ``channel_id`` (pins), ``channel`` as an id or an object
    (renames), or the pinned item's channel."""
    channel = event.get("channel_id") or event.get("channel")
    if isinstance(channel, dict):
        channel = channel.get("id")
    if not channel:
        channel = (event.get("item") or {}).get("channel")
    return channel or ""


# --- Interactions --------------------------------------------------------------------------------


def handle_interaction(payload: dict[str, Any]) -> dict[str, Any] | None:
    kind = payload["type"]
    if kind == "block_actions":
        return _handle_block_actions(payload)
    if kind in ("view_submission", "view_closed"):
        return _handle_view(ViewContext.from_payload(payload))
    logger.info("no handler for interaction type %s; ignored", kind)
    return None


def _handle_block_actions(payload: dict[str, Any]) -> None:
    for index, context in enumerate(ActionContext.from_payload(payload)):
        registration = registry.action_handlers.get(context.action_id)
        if registration is None:
            logger.warning("no handler for action %s; ignored", context.action_id)
            continue
        if registration.context.runs == "request":
            _run_action(registration, context)
            continue
        with transaction.atomic():
            if record_once(action_key(payload, index), "block_actions"):
                process_action.defer(payload=payload, action_index=index)


def run_action(payload: dict[str, Any], action_index: int) -> None:
    """Run one accepted action's handler in the worker, as it declared."""
    context = ActionContext.from_payload(payload)[action_index]
    registration = registry.action_handlers.get(context.action_id)
    if registration is None:
        logger.warning("action %s lost its handler before it ran", context.action_id)
        return
    _run_action(registration, context)


def _run_action(registration: registry.Registration, context: ActionContext) -> None:
    run_refusable(
        lambda: registration.run(context),
        user_id=context.user_id,
        channel_id=context.channel_id,
    )


@job("slack.process_action")
def process_action(payload: dict[str, Any], action_index: int) -> None:
    """Run the handler of one action of a ``block_actions`` payload."""
    run_action(payload, action_index)


def _handle_view(context: ViewContext) -> dict[str, Any] | None:
    registration = registry.view_handlers.get(context.callback_id)
    if registration is None:
        logger.warning("no handler for view %s (%s); ignored", context.callback_id, context.type)
        return None
    # A modal has no channel of its own: a refusal is told by DM, and the modal closes.
    return run_refusable(lambda: registration.run(context), user_id=context.user_id, channel_id="")
