"""One Socket Mode envelope in, one acknowledgement out, with the HTTP endpoint's answer.

An envelope's ``payload`` is the body the HTTP request would have carried, already decoded: the
form fields of a slash command, the JSON of an interaction or of an Events API envelope. It goes
to ``slack.incoming.dispatch.acknowledge``, the function the HTTP views call, and what that
returns travels back in the acknowledgement (a modal's ``response_action: errors``, a slash
command's ephemeral reply). Nothing is signed on a socket: the connection itself is authenticated
by the app-level token.

A retried event (``retry_attempt`` > 0) carries the same ``event_id`` as its first delivery, so it
is de-duplicated exactly as an HTTP retry with ``X-Slack-Retry-Num`` is, by whichever process
receives it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import close_old_connections
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slack.incoming import dispatch
from slack.incoming.parsing import MalformedRequest

logger = logging.getLogger(__name__)

# The envelope types that carry a delivery; ``hello`` and ``disconnect`` are the client's.
KINDS: frozenset[str] = frozenset({"slash_commands", "events_api", "interactive"})


def answer(request: SocketModeRequest) -> SocketModeResponse:
    """The acknowledgement of one envelope: its id, and the answer's body if there is one.

    An envelope that is not what Slack sends is acknowledged with no answer (HTTP answers it
    with a 400, which Slack does not retry either).
    """
    body: dict[str, Any] | None = None
    if request.type not in KINDS:
        logger.info("ignored a Socket Mode envelope of type %s", request.type)
    elif not isinstance(request.payload, dict):
        logger.warning("a %s envelope without a payload; acknowledged", request.type)
    else:
        if request.retry_attempt:
            logger.info(
                "envelope %s is retry %s (%s)",
                request.envelope_id,
                request.retry_attempt,
                request.retry_reason,
            )
        try:
            body = dispatch.acknowledge(request.type, request.payload)  # type: ignore[arg-type]
        except MalformedRequest as error:
            logger.warning("malformed %s envelope: %s", request.type, error)
    return SocketModeResponse(envelope_id=request.envelope_id, payload=body)


def listen(client: BaseSocketModeClient, request: SocketModeRequest) -> None:
    """The client's request listener: answer and acknowledge, on the client's worker thread.

    Each envelope gets the database connection treatment a request gets from Django: one that
    broke or outlived ``CONN_MAX_AGE`` is closed first and after, so a long-lived socket process
    does not hold on to a dead connection.
    """
    close_old_connections()
    try:
        response = answer(request)
    except Exception:
        # Not acknowledged, as the HTTP endpoint answers a 500: Slack sends an event again
        # (with ``retry_attempt``) and shows the person an error for a command or a click.
        logger.exception("handling the %s envelope %s failed", request.type, request.envelope_id)
        return
    finally:
        close_old_connections()
    client.send_socket_mode_response(response)
