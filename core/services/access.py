"""Who may see a private incident: the writes (SPEC §18 "Private incidents").

Access is recorded per reason (``AccessReason``): the declarer's at declaration, a member's when
Slack says they joined the private channel (or Response invited them), an approval when the lead
lets someone in. Leaving the channel takes away only the membership.

A request to be let in (Request access) is decided once: the row is locked while it is decided,
so two clicks on Approve (or Approve and Deny at once) make one decision and one invite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.access.acting import Acting
from core.access.visibility import may_decide_access, may_see
from core.exceptions import ApplicationError
from core.models import (
    AccessReason,
    AccessRequest,
    AccessRequestStatus,
    ExternalUser,
    Incident,
    IncidentAccess,
)


class AccessDecisionRefused(ApplicationError):
    """Someone who may not decide tried to approve or deny; nothing changed."""


class AccessAlreadyDecided(ApplicationError):
    """The request was decided before; ``request`` says how and by whom."""

    def __init__(self, request: AccessRequest) -> None:
        decider = request.decided_by.name if request.decided_by else "someone"
        super().__init__(f"This request was already {request.status} by {decider}.")
        self.request = request


@dataclass(frozen=True)
class AccessAsked:
    """What a click on Request access led to: a new request for the lead to decide, one
    already waiting, or none because the person may already see the incident."""

    request: AccessRequest | None
    created: bool

    @property
    def already_in(self) -> bool:
        return self.request is None


def incident_access_grant(
    *,
    incident: Incident,
    user: ExternalUser,
    reason: AccessReason,
    granted_by: ExternalUser | None = None,
) -> IncidentAccess:
    """Let ``user`` see ``incident`` for ``reason`` (once per reason: repeating is harmless)."""
    access, _ = IncidentAccess.objects.get_or_create(
        incident=incident, user=user, reason=reason, defaults={"granted_by": granted_by}
    )
    return access


@transaction.atomic
def incident_members_joined(*, incident: Incident, users: Iterable[ExternalUser]) -> None:
    """These people are in the incident's private channel now (joined, or invited by us)."""
    for user in users:
        incident_access_grant(incident=incident, user=user, reason=AccessReason.MEMBER)


@transaction.atomic
def incident_member_left(*, incident: Incident, user: ExternalUser) -> None:
    """``user`` left (or was removed from) the private channel: their membership goes; being
    the declarer or having been let in stays."""
    IncidentAccess.objects.filter(incident=incident, user=user, reason=AccessReason.MEMBER).delete()


@transaction.atomic
def access_request_open(*, incident: Incident, requester: ExternalUser) -> AccessAsked:
    """Ask the lead to let ``requester`` see ``incident``; the waiting request when there is one
    already, and none when they may see it already."""
    if may_see(incident, Acting.for_slack_user(requester)):
        return AccessAsked(request=None, created=False)
    waiting = (
        AccessRequest.objects.select_for_update()
        .filter(incident=incident, requester=requester, status=AccessRequestStatus.PENDING)
        .first()
    )
    if waiting is not None:
        return AccessAsked(request=waiting, created=False)
    try:
        # A savepoint: two clicks at once both find nothing waiting; the one-pending constraint
        # lets one create the request and the other is handed it.
        with transaction.atomic():
            created = AccessRequest.objects.create(incident=incident, requester=requester)
    except IntegrityError:
        waiting = AccessRequest.objects.get(
            incident=incident, requester=requester, status=AccessRequestStatus.PENDING
        )
        return AccessAsked(request=waiting, created=False)
    return AccessAsked(request=created, created=True)


@transaction.atomic
def access_request_decide(
    *, request_id: int, decider: ExternalUser, approve: bool
) -> AccessRequest:
    """Approve (grant the document) or deny a waiting request, as ``decider``.

    Raises ``AccessRequest.DoesNotExist`` for an unknown request, ``AccessDecisionRefused``
    when ``decider`` is neither the lead nor granted ``declare_private``, and
    ``AccessAlreadyDecided`` for a request decided before. Nothing changes in those cases.
    """
    request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("incident", "requester", "decided_by")
        .get(pk=request_id)
    )
    if not may_decide_access(request.incident, Acting.for_slack_user(decider)):
        raise AccessDecisionRefused(
            f"Only the lead of incident {request.incident_id} (or someone granted "
            "`declare_private`) can decide who sees it. Nothing was changed."
        )
    if request.status != AccessRequestStatus.PENDING:
        raise AccessAlreadyDecided(request)
    request.status = AccessRequestStatus.APPROVED if approve else AccessRequestStatus.DENIED
    request.decided_by = decider
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        incident_access_grant(
            incident=request.incident,
            user=request.requester,
            reason=AccessReason.APPROVED,
            granted_by=decider,
        )
    return request
