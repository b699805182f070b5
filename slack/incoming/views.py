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
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.access.middleware import says_who_acts
from slack.flows.postmortem.sweep import sweep_overdue
from slack.flows.reminders import sweep as notifications
from slack.flows.updates import sweep as update_reminders
from slack.incoming import dispatch
from slack.incoming.parsing import MalformedRequest, parse_event_body, parse_interaction
from slack.incoming.signature import verify_headers

logger = logging.getLogger(__name__)

View = Callable[[HttpRequest], HttpResponse]


def from_slack(view: View) -> View:
    """Refuse anything not signed by Slack; answer malformed bodies with 400."""

    @says_who_acts  # the Slack user each handler runs as (slack.incoming.acting)
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
            return view(request)
        except MalformedRequest as error:
            logger.warning("malformed request to %s: %s", request.path, error)
            return JsonResponse({"error": str(error)}, status=400)

    return verified


@from_slack
def slash_command(request: HttpRequest) -> HttpResponse:
    return _answer(dispatch.acknowledge("slash_commands", request.POST.dict()))


@from_slack
def event(request: HttpRequest) -> HttpResponse:
    return _answer(dispatch.acknowledge("events_api", parse_event_body(request.body)))


@from_slack
def action(request: HttpRequest) -> HttpResponse:
    return _answer(dispatch.acknowledge("interactive", parse_interaction(request.POST)))


def _answer(body: dict[str, Any] | None) -> HttpResponse:
    if body is None:
        return HttpResponse(status=200)
    return JsonResponse(body)


@says_who_acts  # the system: the sweeps are nobody's
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
