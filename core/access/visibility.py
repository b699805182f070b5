"""Which incidents an actor may see: a private incident exists only for its members (SPEC §18).

A private incident is visible to the Slack users with an ``IncidentAccess`` row (its declarer,
its channel's members, those the lead let in) and to the logins linked to them by email. The
system itself and superusers see everything (an administrator must be able to repair a record
in the admin). Everyone else is told it does not exist: callers answer 404, never 403.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.access.acting import Acting, current
from core.access.permissions import Permission, granted
from core.models import Incident, IncidentAccess

# Who may decide Request access as someone other than the lead: those granted this, asked of
# their groups themselves (``granted``), not of ``ACCESS_POLICY``: under the open policy everyone
# may declare, but not everyone may let others into someone's private incident.
DECIDE_PERMISSION = Permission.DECLARE_PRIVATE


def sees_everything(acting: Acting) -> bool:
    """The system and superusers see every incident, private ones included."""
    if acting.is_system:
        return True
    person = acting.person
    return person is not None and person.is_active and person.is_superuser


def access_grants_of(acting: Acting) -> QuerySet[IncidentAccess]:
    """The access rows of the actor: those of their Slack user and of the Slack users linked to
    their login (one subquery, never a loop)."""
    who = Q(pk__in=[])
    if acting.slack_user is not None:
        who |= Q(user=acting.slack_user)
    if acting.person is not None and acting.person.is_active:
        who |= Q(user__owner=acting.person)
    return IncidentAccess.objects.filter(who)


def visible_incidents(
    queryset: QuerySet[Incident] | None = None, acting: Acting | None = None
) -> QuerySet[Incident]:
    """``queryset`` (every incident by default) without what ``acting`` (by default the current
    actor) may not see: private incidents they have no access to."""
    queryset = Incident.objects.all() if queryset is None else queryset
    acting = acting or current()
    if sees_everything(acting):
        return queryset
    granted = access_grants_of(acting).values("incident_id")
    return queryset.filter(Q(private=False) | Q(pk__in=granted))


def may_see(incident: Incident, acting: Acting | None = None) -> bool:
    """Whether ``acting`` may see this one incident (one query for a private one, none else)."""
    if not incident.private:
        return True
    acting = acting or current()
    return sees_everything(acting) or access_grants_of(acting).filter(incident=incident).exists()


def may_decide_access(incident: Incident, acting: Acting) -> bool:
    """Whether ``acting`` may approve or deny a request to see ``incident``: its lead (its
    declarer while it has none), or someone granted ``declare_private`` (superusers included)
    by their login's groups or by a Slack user group mapped to a group holding it."""
    decider = incident.lead or incident.reporter
    slack_user = acting.slack_user
    if decider is not None and slack_user is not None and decider.pk == slack_user.pk:
        return True
    return granted(acting, DECIDE_PERMISSION)
