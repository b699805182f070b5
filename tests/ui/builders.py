"""Incidents for the UI and API tests: a few through the services, many at once with bulk_create."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from core import services
from core.models import (
    Action,
    ExternalUser,
    Incident,
    IncidentStatus,
    Milestone,
    MilestoneKind,
    Participation,
    Role,
    RoleAssignment,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)
from slack.models import CommsChannel

PASSWORD = "correct horse battery staple"

# Every way we know to smuggle script into a page, in Slack's and in plain form.
XSS_SCRIPT = "<script>window.__pwned = 1; alert('script')</script>"
XSS_IMG = "<img src=x onerror=\"window.__pwned = 1; alert('img')\">"
XSS_MD_LINK = "[click me](javascript:window.__pwned=1;alert('md'))"
XSS_SLACK_LINK = "<javascript:alert(1)|x>"
XSS_HTML_LINK = "<a href=\"javascript:alert('a')\">a link</a>"
XSS_SVG = "<svg onload=\"window.__pwned = 1; alert('svg')\"></svg>"
XSS_TEXT = " ".join([XSS_SCRIPT, XSS_IMG, XSS_MD_LINK, XSS_SLACK_LINK, XSS_HTML_LINK, XSS_SVG])
# The same, as Slack sends message text: its own markup raw, everything else entity-escaped.
XSS_SLACK_ESCAPED = (
    "&lt;script&gt;alert('pin')&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
    "<javascript:alert(1)|x>"
)


def login_user(username: str = "responder"):
    return get_user_model().objects.create_user(username=username, password=PASSWORD)


def slack_user(external_id: str, name: str) -> ExternalUser:
    return services.external_user_upsert(external_id=external_id, display_name=name)


def incident(
    title: str = "Payments are failing",
    *,
    reporter: ExternalUser | None = None,
    lead: ExternalUser | None = None,
    severity: Severity | None = None,
    summary: str = "",
    impact: str = "",
    closed: bool = False,
    report_only: bool = False,
    report_time: dt.datetime | None = None,
    triage: bool = False,
    drill: bool = False,
) -> Incident:
    made = services.incident_declare(
        title=title,
        reporter=reporter,
        lead=lead,
        severity=severity,
        summary=summary,
        impact=impact,
        report_only=report_only,
        report_time=report_time,
        triage=triage,
        drill=drill,
    )
    if closed:
        services.incident_close(incident=made)
    return made


# The statuses ``many_incidents`` cycles through, with whether each has ended.
MANY_STATUSES = (
    (IncidentStatus.INVESTIGATING, False),
    (IncidentStatus.RESOLVED, True),
    (IncidentStatus.REPORTED, True),
    (IncidentStatus.MONITORING, False),
)


def many_incidents(count: int, *, reporter: ExternalUser, lead: ExternalUser) -> list[Incident]:
    """``count`` incidents of several statuses and every severity, one a minute back from now,
    each with every configured role held by ``lead`` and its milestones set."""
    now = timezone.now()
    rows = []
    for n in range(count):
        at = now - dt.timedelta(minutes=n)
        status, ended = MANY_STATUSES[n % len(MANY_STATUSES)]
        rows.append(
            Incident(
                title=f"Incident number {n} <@{lead.external_id}> :fire:",
                summary="Something *broke*",
                reporter=reporter,
                severity=(n % 5) or None,
                report_only=status == IncidentStatus.REPORTED,
                status=status,
                drill=n % 5 == 4,
                report_time=at,
                start_time=at,
                end_time=at if ended else None,
            )
        )
    made = Incident.objects.bulk_create(rows)
    roles = list(Role.objects.all())
    RoleAssignment.objects.bulk_create(
        RoleAssignment(incident=incident, role=role, holder=lead, assigned_by=reporter)
        for incident in made
        for role in roles
    )
    Milestone.objects.bulk_create(
        Milestone(incident=incident, kind=kind, time=incident.start_time, set_by=reporter)
        for incident in made
        for kind in MilestoneKind.values
        if kind != MilestoneKind.RESOLVED or incident.end_time
    )
    return made


def fill_incident(
    target: Incident, *, entries: int, users: list[ExternalUser], channel_id: str = "C0COMMS"
) -> None:
    """A busy incident: ``entries`` timeline entries mentioning users and channels, actions,
    participants and a comms channel."""
    CommsChannel.objects.create(incident=target, channel_id=channel_id, name="inc-1-payments")
    start = target.start_time
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident=target,
            time=start + dt.timedelta(seconds=n),
            kind=TimelineEventKind.PINNED_MESSAGE if n % 2 else TimelineEventKind.NOTE,
            text=f"Entry {n}: <@{users[n % len(users)].external_id}> in <#{channel_id}> :eyes:",
            author=users[n % len(users)],
            metadata={"permalink": f"https://example.slack.com/archives/{channel_id}/p{n}"},
        )
        for n in range(entries)
    )
    Action.objects.bulk_create(
        Action(incident=target, details=f"Follow up {n} with <@{users[0].external_id}>")
        for n in range(min(entries, 50))
    )
    Participation.objects.bulk_create(
        Participation(incident=target, user=user, message_count=10 + i)
        for i, user in enumerate(users)
    )
