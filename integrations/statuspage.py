"""Statuspage's Manage API v1: a page's components, creating and updating incidents
(slack-platform.md §10).

A thin HTTP client: every failure becomes a ``StatuspageError`` whose message says what went
wrong in words for the person who asked; the raw answer goes to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

# Statuspage's page size for components: both the default and the maximum.
COMPONENTS_PER_PAGE = 100
# Enough pages for any real status page; a bound in case a server keeps answering full pages.
MAX_COMPONENT_PAGES = 10


class StatuspageError(Exception):
    """Statuspage did not do what was asked; the message says why."""


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    status: str


def components(*, api_key: str, page_id: str) -> list[Component]:
    """The page's components in page order, without groups (they cannot be picked)."""
    found: list[Component] = []
    for page in range(1, MAX_COMPONENT_PAGES + 1):
        batch = _request(
            "GET",
            f"pages/{page_id}/components",
            api_key=api_key,
            params={"page": page, "per_page": COMPONENTS_PER_PAGE},
        )
        if not isinstance(batch, list):
            raise StatuspageError("Statuspage answered with something other than components")
        found.extend(
            Component(id=str(item["id"]), name=str(item.get("name", "")), status=item["status"])
            for item in batch
            if isinstance(item, dict) and item.get("id") and not item.get("group")
        )
        if len(batch) < COMPONENTS_PER_PAGE:
            break
    return found


def incident_get(*, api_key: str, page_id: str, incident_id: str) -> dict[str, Any]:
    """The incident as Statuspage has it now (someone may have changed it on Statuspage)."""
    return _incident(_request("GET", f"pages/{page_id}/incidents/{incident_id}", api_key=api_key))


def incident_create(*, api_key: str, page_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """POST a new incident; returns Statuspage's incident (``id``, ``shortlink``, ``status`` …)."""
    return _incident(
        _request("POST", f"pages/{page_id}/incidents", api_key=api_key, body={"incident": fields})
    )


def unresolved_incidents(*, api_key: str, page_id: str) -> list[dict[str, Any]]:
    """The page's incidents that are not resolved yet."""
    found = _request("GET", f"pages/{page_id}/incidents/unresolved", api_key=api_key)
    return [_incident(item) for item in found] if isinstance(found, list) else []


def incident_update(
    *, api_key: str, page_id: str, incident_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """PATCH an incident with ``fields`` only; a status or body adds an incident update."""
    return _incident(
        _request(
            "PATCH",
            f"pages/{page_id}/incidents/{incident_id}",
            api_key=api_key,
            body={"incident": fields},
        )
    )


# --- HTTP ----------------------------------------------------------------------------------------


def _request(
    method: str,
    path: str,
    *,
    api_key: str,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    url = settings.STATUSPAGE_API_BASE_URL.rstrip("/") + "/" + path
    try:
        response = requests.request(
            method,
            url,
            params=params,
            json=body,
            headers={"Authorization": f"OAuth {api_key}", "Accept": "application/json"},
            timeout=settings.STATUSPAGE_API_TIMEOUT,
        )
    except requests.Timeout as error:
        raise StatuspageError("Statuspage did not answer in time") from error
    except requests.RequestException as error:
        raise StatuspageError(
            f"Statuspage could not be reached ({error.__class__.__name__})"
        ) from error
    if 200 <= response.status_code < 300:
        try:
            return response.json()
        except ValueError as error:
            raise StatuspageError("Statuspage's answer was not JSON") from error
    logger.warning(
        "Statuspage %s %s answered %s: %s", method, path, response.status_code, response.text[:500]
    )
    raise StatuspageError(_reason(response))


def _incident(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data.get("id"):
        raise StatuspageError("Statuspage's answer did not describe an incident")
    return data


def _reason(response: requests.Response) -> str:
    status = response.status_code
    message = _message(response)
    if status == 401:
        return "Statuspage refused the API key: check it in the admin (Workflows → statuspage)"
    if status == 403:
        return "Statuspage does not let this API key do that"
    if status == 404:
        return "Statuspage does not know that page or incident: check the page id in the admin"
    if status in (420, 429):
        return "Statuspage is rate limiting us: try again in a minute"
    if status in (400, 422):
        return f"Statuspage refused it: {message or 'the request was invalid'}"
    return f"Statuspage answered {status}: try again shortly"


def _message(response: requests.Response) -> str:
    """The API's own explanation; typed as ``{"message": …}`` but parsed defensively."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("message", "error", "errors"):
            value = data.get(key)
            if isinstance(value, list):
                value = "; ".join(str(item) for item in value)
            if value:
                return str(value)
    return ""
