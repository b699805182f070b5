"""The three endpoints Slack calls (SPEC §4): verify, parse, dispatch, answer.

Verification comes first: a request that fails it is answered 403 before anything is parsed or
stored. Malformed input is answered 400; unknown types are logged and answered 200 (a non-2xx
would make Slack retry or show the user an error).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from procrastinate.exceptions import ConnectorException

from slack.flows.postmortem.sweep import sweep_overdue
from slack.flows.reminders import sweep as notifications
from slack.flows.updates import sweep as update_reminders
from slack.incoming import dispatch
from slack.incoming.parsing import (
    MalformedRequest,
    SlashCommand,
    parse_event_body,
    parse_interaction,
)
from slack.incoming.signature import verify_headers

logger = logging.getLogger(__name__)

View = Callable[[HttpRequest], HttpResponse]


def from_slack(view: View) -> View:
    """Refuse anything not signed by Slack; answer malformed bodies with 400."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def verified(request: HttpRequest) -> HttpResponse:
        body = request.body
        if not verify_headers(
            secret=settings.SLACK_SIGNING_SECRET, body=body, headers=request.headers
        ):
            logger.warning("refused an unsigned or stale request to %s", request.path)
            return HttpResponseForbidden("invalid Slack signature")
        try:
            return _once_more_if_the_database_went_away(view, request)
        except MalformedRequest as error:
            logger.warning("malformed request to %s: %s", request.path, error)
            return JsonResponse({"error": str(error)}, status=400)

    return verified


# Server errors that mean the connection is gone, not that the statement was wrong.
SERVER_GONE = (
    psycopg.errors.AdminShutdown,
    psycopg.errors.CrashShutdown,
    psycopg.errors.CannotConnectNow,
)


def _once_more_if_the_database_went_away(view: View, request: HttpRequest) -> HttpResponse:
    """Run the view; if the database connection was lost under it, reconnect and run it again.

    Slack does not retry a command, a click or a submission, so a 500 would be the person's
    only answer. Running it again is safe: what a request writes is one transaction, rolled
    back with the connection, and its Slack work is deferred inside that transaction.
    """
    try:
        return view(request)
    except (DatabaseError, ConnectorException) as error:
        if not _connection_lost(error):
            raise
        logger.warning("database connection lost during %s (%s); trying again", request.path, error)
        connection.close()
        return view(request)


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


@from_slack
def slash_command(request: HttpRequest) -> HttpResponse:
    if request.POST.get("ssl_check"):
        return HttpResponse(status=200)
    return _answer(dispatch.handle_slash_command(SlashCommand.from_form(request.POST)))


@from_slack
def event(request: HttpRequest) -> HttpResponse:
    envelope = parse_event_body(request.body)
    if envelope["type"] == "url_verification":
        return JsonResponse({"challenge": str(envelope.get("challenge", ""))})
    if envelope["type"] == "event_callback":
        dispatch.accept_event(envelope)
    else:
        logger.info("ignored an Events API request of type %s", envelope["type"])
    return HttpResponse(status=200)


@from_slack
def action(request: HttpRequest) -> HttpResponse:
    return _answer(dispatch.handle_interaction(parse_interaction(request.POST)))


def _answer(answer: dispatch.Answer) -> HttpResponse:
    if answer is None:
        return HttpResponse(status=200)
    if isinstance(answer, str):
        return JsonResponse({"response_type": "ephemeral", "text": answer})
    return JsonResponse(answer)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cron_minute(request: HttpRequest) -> HttpResponse:
    """The reminder sweeps and the overdue DMs, called every minute by the cron container (SPEC
    §8, §15, §16): the registered reminders, the update cadence's (reported under ``updates``) and
    the daily overdue follow-up DMs (``overdue_dms``)."""
    presented = request.headers.get("Authorization", "")
    if not hmac.compare_digest(presented.encode(), f"Bearer {settings.CRON_TOKEN}".encode()):
        logger.warning("refused a cron call without the right token")
        return HttpResponseForbidden("a valid Authorization: Bearer <CRON_TOKEN> is required")
    summary: dict[str, object] = {**notifications.sweep().as_dict()}
    summary["updates"] = update_reminders.sweep().as_dict()
    summary["overdue_dms"] = sweep_overdue()
    return JsonResponse(summary)
