"""Reads of the incident domain. Each returns a queryset with its relations already joined, so
callers never trigger one query per row."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.access import Acting, current, visible_incidents
from core.lifecycle.statuses import LIVE_STATUSES
from core.models import (
    DEFAULT_CADENCE,
    Action,
    ActionStatus,
    AuditEntry,
    ExternalUser,
    Follower,
    Incident,
    IncidentStatus,
    IncidentTally,
    Milestone,
    Participation,
    Postmortem,
    PostmortemRevision,
    PostmortemSection,
    PostmortemStatus,
    Role,
    RoleAssignment,
    TimelineChange,
    TimelineEdit,
    TimelineEvent,
    Update,
    UpdateCadence,
)
from core.models.incident import PREFETCHED_ROLES

HELD_ROLES = Prefetch(
    "role_assignments",
    queryset=RoleAssignment.objects.select_related("role", "holder").order_by("role__order"),
    to_attr=PREFETCHED_ROLES,
)


def incident_list() -> QuerySet[Incident]:
    """All incidents, newest first, with reporter joined and roles (lead included) prefetched."""
    return (
        Incident.objects.select_related("reporter")
        .prefetch_related(HELD_ROLES)
        .order_by("-report_time", "-id")
    )


# Where ``with_milestone_times`` puts each incident's milestones: kinds and times, in step.
MILESTONE_KINDS = "milestone_kinds"
MILESTONE_TIMES = "milestone_times"


def with_milestone_times(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """``incidents`` each read with its milestones as two arrays in the same (kind) order.

    Read with the incident, not prefetched: a page of 100 incidents has about 600 milestones,
    and making a model of each cost more than the rest of the page's reading.
    """
    of_incident = Milestone.objects.filter(incident=OuterRef("pk")).order_by("kind")
    return incidents.annotate(
        **{
            MILESTONE_KINDS: ArraySubquery(of_incident.values("kind")),
            MILESTONE_TIMES: ArraySubquery(of_incident.values("time")),
        }
    )


def incident_list_open() -> QuerySet[Incident]:
    return incident_list().filter(end_time__isnull=True)


def incident_get(*, incident_id: int) -> Incident:
    """The incident with this id; raises ``Incident.DoesNotExist``."""
    return incident_list().get(pk=incident_id)


def timeline_for_incident(
    *, incident: Incident, include_hidden: bool = False
) -> QuerySet[TimelineEvent]:
    """The curated timeline in time order: hidden entries are left out unless asked for."""
    entries = TimelineEvent.objects.filter(incident=incident)
    if not include_hidden:
        entries = entries.filter(hidden=False)
    return entries.select_related("author").order_by("time", "id")


def timeline_version(*, incident: Incident) -> int:
    """How many times the incident's timeline has changed (0: never); one query unless read
    with the incident (``incident_document``). Read it before the entries, so whatever is kept
    under a version is at least as new as that version."""
    known = getattr(incident, "timeline_version", None)
    if known is not None:
        return known
    return TimelineChange.objects.filter(incident_id=incident.pk).count()


def _timeline_version_of_each() -> Func:
    changes = (
        TimelineChange.objects.filter(incident_id=OuterRef("pk"))
        .order_by()
        .values("incident_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(changes), 0)


def timeline_for_curation(*, incident: Incident) -> QuerySet[TimelineEvent]:
    """Every entry, hidden ones included, each with its edit history (oldest first)."""
    return timeline_for_incident(incident=incident, include_hidden=True).prefetch_related(
        Prefetch("edits", queryset=TimelineEdit.objects.order_by("edited_at", "id"))
    )


# --- Web UI and REST API ---------------------------------------------------------------------

NO_SEVERITY = "none"
# Not a status: any of the live ones (triage, investigating, fixing, monitoring).
OPEN = "open"


def incident_filter(
    incidents: QuerySet[Incident],
    *,
    status: str | None = None,
    severity: int | str | None = None,
    title: str | None = None,
) -> QuerySet[Incident]:
    """Narrow ``incidents`` by status (or ``"open"``: any live one), severity (``"none"`` for
    unset) and title text."""
    if status == OPEN:
        incidents = incidents.filter(status__in=LIVE_STATUSES)
    elif status:
        incidents = incidents.filter(status=IncidentStatus(status))
    if severity == NO_SEVERITY:
        incidents = incidents.filter(severity__isnull=True)
    elif severity:
        incidents = incidents.filter(severity=int(severity))
    if title:
        # A case-insensitive regular expression of the literal text (title ~* 'text'), not
        # icontains: PostgreSQL runs icontains as UPPER(title) LIKE …, which the title's trigram
        # index cannot serve, and ~* it can.
        incidents = incidents.filter(title__iregex=re.escape(title.strip()))
    return incidents


def incident_search(
    *,
    acting: Acting | None = None,
    status: str | None = None,
    severity: int | str | None = None,
    title: str | None = None,
) -> QuerySet[Incident]:
    """Incidents ``acting`` may see (by default the current actor), newest first, filtered as
    the incident list page offers."""
    incidents = visible_incidents(incident_list(), acting)
    return incident_filter(incidents, status=status, severity=severity, title=title)


def incident_count(
    *,
    acting: Acting | None = None,
    status: str | None = None,
    severity: int | str | None = None,
    title: str | None = None,
) -> int:
    """How many incidents ``incident_search`` gives for the same arguments, without reading them.

    Counted from the incidents' tallies (``IncidentTally``, kept by the database: a few rows,
    whatever the number of incidents), public and private apart. Where there are private ones,
    those ``acting`` may see are counted one by one on their index (a second query). A title
    search is counted by its trigram index.
    """
    if title:
        return incident_search(acting=acting, status=status, severity=severity, title=title).count()
    tallies = incident_filter(IncidentTally.objects.all(), status=status, severity=severity)
    by_privacy = dict(tallies.order_by().values_list("private").annotate(Sum("delta")))
    public, private = by_privacy.get(False, 0), by_privacy.get(True, 0)
    if not private:
        return public
    seen = incident_filter(
        visible_incidents(Incident.objects.filter(private=True), acting),
        status=status,
        severity=severity,
    )
    return public + seen.count()


class IdsFirst:
    """A queryset whose deep slices skip rows on the ordering's index alone, from whichever end
    is nearer.

    ``OFFSET 90000`` over the full rows reads (and joins) all 90,000 rows it skips; over the ids
    alone PostgreSQL walks only the index that gives the order (an index-only scan), and then
    reads the slice's rows by id. Shallow slices, which skip little, are read in one query as
    usual.

    Knowing how many rows there are (``count``, given by a caller that counted them cheaply, or
    counted here once), a slice past the middle is read as the same rows in reverse order from
    the far end: page 900 of 1,000 skips 100 pages' ids, not 900. The ordering must be total
    (ending in the primary key) so that both directions agree row for row. Like any offset, a
    page read while incidents are being declared may shift by those few rows.
    """

    DEEP_FROM = 1000
    TOTAL_ORDER_ENDS = ("pk", "-pk", "id", "-id")

    def __init__(self, queryset: QuerySet, *, count: int | None = None) -> None:
        self.queryset = queryset
        self._count = count

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __getitem__(self, rows: slice) -> QuerySet:
        start = rows.start or 0
        if start < self.DEEP_FROM:
            return self.queryset[rows]
        if self._nearer_from_the_end(start, rows.stop):
            return self.queryset.filter(pk__in=self._ids_from_the_end(start, rows.stop))
        ids = list(self.queryset.values_list("pk", flat=True)[rows])
        return self.queryset.filter(pk__in=ids)  # the same order, joins and prefetches

    def _nearer_from_the_end(self, start: int, stop: int | None) -> bool:
        order = self.queryset.query.order_by
        totally_ordered = bool(order) and order[-1] in self.TOTAL_ORDER_ENDS
        return totally_ordered and stop is not None and self.count() - stop < start

    def _ids_from_the_end(self, start: int, stop: int) -> list[int]:
        total = self.count()
        backwards = self.queryset.reverse().values_list("pk", flat=True)
        # In reverse order; the rows read by these ids come back in the queryset's own.
        return list(backwards[max(total - stop, 0) : max(total - start, 0)])


def action_list() -> QuerySet[Action]:
    """All follow-up actions, oldest first within each incident, with their owner joined."""
    return Action.objects.select_related("owner").order_by("incident_id", "created_at", "id")


def actions_for_incident(*, incident: Incident) -> QuerySet[Action]:
    return action_list().filter(incident=incident)


def timeline_event_list() -> QuerySet[TimelineEvent]:
    """All timeline entries in time order, with their author joined."""
    return TimelineEvent.objects.select_related("author").order_by("incident_id", "time", "id")


def postmortem_for_incident(*, incident: Incident) -> Postmortem | None:
    """The incident's postmortem with its sections and every revision (newest first), or None
    before anyone saved a section. Three queries, however many sections and revisions."""
    return (
        Postmortem.objects.filter(incident=incident)
        .prefetch_related(
            Prefetch(
                "sections",
                queryset=PostmortemSection.objects.prefetch_related(
                    Prefetch("revisions", queryset=PostmortemRevision.objects.order_by("-number"))
                ),
            )
        )
        .first()
    )


def postmortem_status(*, incident: Incident) -> str:
    """The postmortem's state; ``draft`` before anyone wrote in it (one query)."""
    status = Postmortem.objects.filter(incident=incident).values_list("status", flat=True).first()
    return status or PostmortemStatus.DRAFT


def action_owner_choices(*, keep: Iterable[int] = ()) -> QuerySet[ExternalUser]:
    """Slack users who can own a follow-up, by name: those not deactivated, and the ``keep``
    ids (today's owners, even deactivated, so a form does not drop them)."""
    return ExternalUser.objects.filter(Q(deleted=False) | Q(pk__in=list(keep))).order_by(
        "display_name", "full_name", "id"
    )


def overdue_counts(*, incident_ids: Iterable[int], now: dt.datetime) -> dict[int, int]:
    """How many open follow-ups are past their due date, by incident (one query)."""
    rows = (
        Action.objects.filter(
            incident_id__in=list(incident_ids), status=ActionStatus.OPEN, due_at__lt=now
        )
        .values("incident_id")
        .annotate(count=Count("id"))
    )
    return {row["incident_id"]: row["count"] for row in rows}


def overdue_follow_ups(*, now: dt.datetime, owner: ExternalUser | None = None) -> QuerySet[Action]:
    """Open follow-ups past their due date whose owner is still in Slack (or only ``owner``'s),
    by owner then due date, with owner and incident joined."""
    actions = Action.objects.filter(
        status=ActionStatus.OPEN, due_at__lt=now, owner__isnull=False, owner__deleted=False
    )
    if owner is not None:
        actions = actions.filter(owner=owner)
    return actions.select_related("owner", "incident").order_by("owner_id", "due_at", "id")


def overdue_owners(*, now: dt.datetime) -> QuerySet[ExternalUser]:
    """The Slack users who own at least one overdue follow-up (one query)."""
    owners = overdue_follow_ups(now=now).values("owner_id")
    return ExternalUser.objects.filter(pk__in=owners).only("id", "time_zone").order_by("id")


def follow_ups_by_id(*, ids: Iterable[int]) -> list[Action]:
    """These follow-ups, in the order of ``ids``, with incident joined; missing ones left out."""
    ids = list(ids)
    found = {a.pk: a for a in Action.objects.filter(pk__in=ids).select_related("incident")}
    return [found[pk] for pk in ids if pk in found]


def external_user_list() -> QuerySet[ExternalUser]:
    return ExternalUser.objects.order_by("display_name", "external_id")


def external_user_names(*, external_ids: Iterable[str]) -> dict[str, str]:
    """Display names of the Slack users with these ids (one query; unknown ids are left out)."""
    ids = set(external_ids)
    if not ids:
        return {}
    users = ExternalUser.objects.filter(external_id__in=ids).only(
        "external_id", "display_name", "full_name"
    )
    return {user.external_id: user.name for user in users}


def external_user_for_login(*, user: AbstractBaseUser | AnonymousUser) -> ExternalUser | None:
    """The Slack user linked to a Django login, if any (the actor of changes made on the web)."""
    if not user.is_authenticated:
        return None
    return ExternalUser.objects.filter(owner=user).order_by("id").first()


def incident_document(*, incident_id: int, acting: Acting | None = None) -> Incident:
    """The incident with reporter, roles, its channel and its timeline's version joined; raises
    ``DoesNotExist``, also when ``acting`` (by default the current actor) may not see it.

    The chat side attaches each incident's channel to it as ``comms_channel``; the domain reads
    it through the incident, as a fact about the incident, without importing that side.
    """
    return (
        visible_incidents(incident_list(), acting)
        .select_related("comms_channel", "merged_into")
        .annotate(timeline_version=_timeline_version_of_each())
        .get(pk=incident_id)
    )


def participants_for_incident(*, incident: Incident) -> QuerySet[Participation]:
    """Who took part in the incident's conversation, most messages first."""
    return (
        Participation.objects.filter(incident=incident, message_count__gt=0)
        .select_related("user")
        .order_by("-message_count", "first_message_at", "id")
    )


def channel_names(*, channel_ids: Iterable[str]) -> dict[str, str]:
    """Names of incidents' channels with these chat ids (one query; others are left out)."""
    ids = set(channel_ids)
    if not ids:
        return {}
    return dict(
        Incident.objects.filter(comms_channel__channel_id__in=ids).values_list(
            "comms_channel__channel_id", "comms_channel__name"
        )
    )


def milestones_for_incident(*, incident: Incident) -> dict[str, Milestone]:
    """The incident's milestones by kind, with who set each."""
    rows = Milestone.objects.filter(incident=incident).select_related("set_by")
    return {row.kind: row for row in rows}


def role_list() -> QuerySet[Role]:
    """The configured roles in their order."""
    return Role.objects.order_by("order", "name")


# --- Updates, followers and cadence (SPEC §15) ------------------------------------------------


def update_cadence_minutes() -> dict[int, int | None]:
    """Minutes between updates by severity (None: no cadence): the admin's rows over the
    defaults of ``DEFAULT_CADENCE`` (one query)."""
    cadence = dict(DEFAULT_CADENCE)
    cadence.update(UpdateCadence.objects.values_list("severity", "interval_minutes"))
    return cadence


def update_interval_for(*, incident: Incident) -> dt.timedelta | None:
    """How often ``incident`` owes an update by its severity, or None."""
    if incident.severity is None:
        return None
    minutes = update_cadence_minutes().get(incident.severity)
    return dt.timedelta(minutes=minutes) if minutes else None


def updates_for_incident(*, incident: Incident) -> QuerySet[Update]:
    """The incident's updates, oldest first, with their authors joined."""
    return (
        Update.objects.filter(incident=incident)
        .select_related("author")
        .order_by("created_at", "id")
    )


def latest_update(*, incident: Incident) -> Update | None:
    return (
        Update.objects.filter(incident=incident)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )


def followers_for_incident(*, incident: Incident) -> QuerySet[Follower]:
    """Who follows the incident, in the order they started, with the people joined."""
    return (
        Follower.objects.filter(incident=incident)
        .select_related("user")
        .order_by("created_at", "id")
    )


def is_following(*, incident: Incident, user: ExternalUser) -> bool:
    return Follower.objects.filter(incident=incident, user=user).exists()


def open_actions_for_incident(*, incident: Incident) -> QuerySet[Action]:
    """The incident's follow-ups still open, oldest first."""
    return actions_for_incident(incident=incident).filter(status=ActionStatus.OPEN)


def audit_entries(*, acting: Acting | None = None) -> QuerySet[AuditEntry]:
    """The audit log, newest first, without the entries of incidents ``acting`` (by default, who
    acts now) may not see; changes that belong to no incident (configuration, groups) stay."""
    visible = visible_incidents(acting=acting or current()).values("pk")
    return AuditEntry.objects.filter(
        Q(incident_id__isnull=True) | Q(incident_id__in=visible)
    ).order_by("-at", "-id")


def external_user_names_by_pk(*, pks: Iterable[int]) -> dict[int, str]:
    """Display names of the Slack users with these primary keys: always one query, even for none,
    so that a page asking costs the same whatever it shows (no row has the key 0)."""
    wanted = set(pks) or {0}
    users = ExternalUser.objects.filter(pk__in=wanted).only(
        "display_name", "full_name", "external_id"
    )
    return {user.pk: user.name for user in users}


def audit_for_incident(*, incident: Incident, limit: int) -> list[AuditEntry]:
    """The latest ``limit`` entries of one incident, newest first (one query, on its index)."""
    return list(AuditEntry.objects.filter(incident_id=incident.pk).order_by("-at", "-id")[:limit])
