"""PagerDuty's Events API v2: triggering an alert (slack-platform.md §11)."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class PagerDutyError(Exception):
    """PagerDuty did not take the page; the message says why, in words for the person asking."""


def trigger(
    *, routing_key: str, dedup_key: str, summary: str, severity: str, link: str, details: dict
) -> str:
    """Trigger (or add to) the alert ``dedup_key``; returns the dedup key PagerDuty kept."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": summary[:1024],
            "source": "response",
            "severity": severity,
            "custom_details": details,
        },
        "links": [{"href": link, "text": "Incident document"}],
        "client": "Response",
        "client_url": link,
    }
    try:
        response = requests.post(settings.PAGERDUTY_EVENTS_URL, json=body, timeout=TIMEOUT_SECONDS)
    except requests.Timeout as error:
        raise PagerDutyError("PagerDuty did not answer in time") from error
    except requests.RequestException as error:
        raise PagerDutyError(
            f"PagerDuty could not be reached ({error.__class__.__name__})"
        ) from error
    if response.status_code == 202:
        return response.json().get("dedup_key", dedup_key)
    raise PagerDutyError(_reason(response))


def _reason(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = {}
    errors = "; ".join(data.get("errors") or []) if isinstance(data, dict) else ""
    if response.status_code == 400:
        return f"PagerDuty refused the event ({errors or data.get('message', 'invalid event')})"
    if response.status_code in (401, 403):
        return "PagerDuty refused the routing key: check the team's integration key in the admin"
    if response.status_code == 429:
        return "PagerDuty is rate limiting us: try again in a minute"
    return f"PagerDuty answered {response.status_code}: try again shortly"
