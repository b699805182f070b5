"""Reads of the incident domain. Each returns a queryset with its relations already joined, so
callers never trigger one query per row."""

from __future__ import annotations

from django.db.models import QuerySet

from core.models import Incident, TimelineEvent


def incident_list() -> QuerySet[Incident]:
    """All incidents, newest first, with reporter and lead joined."""
    return Incident.objects.select_related("reporter", "lead").order_by("-report_time", "-id")


def incident_list_open() -> QuerySet[Incident]:
    return incident_list().filter(end_time__isnull=True)


def incident_get(*, incident_id: int) -> Incident:
    """The incident with this id; raises ``Incident.DoesNotExist``."""
    return incident_list().get(pk=incident_id)


def timeline_for_incident(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return (
        TimelineEvent.objects.filter(incident=incident)
        .select_related("author")
        .order_by("time", "id")
    )
