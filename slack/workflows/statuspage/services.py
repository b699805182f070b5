"""Every write of the Statuspage workflow's own state (``StatuspageIncident``, the link between
a Response incident and the Statuspage incident posted for it)."""

from __future__ import annotations

from core.models import Incident
from slack.workflows.models import StatuspageIncident


def statuspage_link_record(
    *,
    incident: Incident,
    link: StatuspageIncident | None,
    page_id: str,
    statuspage_id: str,
    name: str,
    status: str,
    impact: str,
    shortlink: str,
    submission_key: str,
    notice: str,
) -> StatuspageIncident:
    """Record what Statuspage accepted for one submission (creating the link the first time),
    with the channel's notice of it, to be posted once."""
    if link is None:
        link = StatuspageIncident(incident=incident, page_id=page_id, statuspage_id=statuspage_id)
    link.name, link.status, link.impact, link.shortlink = name, status, impact, shortlink
    link.last_submission = submission_key
    link.pending_notice = notice
    link.save()
    return link


def statuspage_link_refresh(*, link: StatuspageIncident, name: str, status: str) -> None:
    """Take the name and status Statuspage now shows (someone may have changed them there)."""
    if (name, status) != (link.name, link.status):
        link.name, link.status = name, status
        link.save(update_fields=["name", "status", "updated_at"])


def statuspage_notice_posted(*, link: StatuspageIncident, notice: str) -> None:
    """Clear the pending notice once Slack has it (unless a newer one replaced it meanwhile)."""
    StatuspageIncident.objects.filter(pk=link.pk, pending_notice=notice).update(pending_notice="")
