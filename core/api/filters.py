"""Query-string filters of the API's lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget

from core.models import (
    LEAD,
    Action,
    ActionStatus,
    AuditEntry,
    AuditVia,
    ExternalUser,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)
from core.selectors import NO_SEVERITY, OPEN, incident_count, incident_filter


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, leaving the FilterSet it built on the view (``view.filterset``):
    a view that counts by its filters (``IncidentViewSet.known_count``) reads them from there
    instead of building them a second time."""

    def get_filterset(
        self, request: Any, queryset: QuerySet, view: Any
    ) -> filters.FilterSet | None:
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset


class IdFilter(filters.NumberFilter):
    """A whole-number id (django-filter's NumberFilter would take decimals)."""

    field_class = forms.IntegerField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, moved to UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only up to ±15:59, so a time is converted
    before it reaches a query; one that cannot be expressed in UTC is invalid input.
    """

    def to_python(self, value: str | None) -> dt.datetime | None:
        result = super().to_python(value)
        if result is None or result.tzinfo is None:
            return result
        try:
            return result.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs) -> None:
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class TimeRangeFilter(filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` and ``<name>_before``, inclusive, as ISO 8601 times."""

    field_class = UtcIsoDateTimeRangeField


SEVERITY_FILTER_CHOICES = [
    *((member.label, member.label) for member in Severity),
    (NO_SEVERITY, "no severity set"),
]


class IncidentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[(OPEN, "any live status"), *IncidentStatus.choices],
        method="filter_status",
        label="Status, or open: triage, investigating, fixing or monitoring",
    )
    severity = filters.ChoiceFilter(
        choices=SEVERITY_FILTER_CHOICES, method="filter_severity", label="Severity"
    )
    title = filters.CharFilter(method="filter_title", label="Title contains")
    lead = filters.CharFilter(method="filter_lead", label="Lead's Slack user id")
    reporter = filters.CharFilter(
        field_name="reporter__external_id", label="Reporter's Slack user id"
    )
    report_time = TimeRangeFilter(
        label="Reported between report_time_after and report_time_before (inclusive)"
    )

    class Meta:
        model = Incident
        fields = ["status", "severity", "title", "lead", "reporter", "report_time"]

    # The filters ``core.selectors.incident_count`` counts by without reading the incidents.
    COUNTED_BY = ("status", "severity", "title")

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return incident_filter(queryset, status=value)

    def filter_severity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return incident_filter(queryset, severity=_severity(value))

    def count(self) -> int | None:
        """How many incidents these (valid) filters give, from ``incident_count``; None when a
        filter it does not count by is used (the rows are counted then)."""
        used = {name: value for name, value in self.form.cleaned_data.items() if value}
        if set(used) - set(self.COUNTED_BY):
            return None
        return incident_count(
            status=used.get("status"),
            severity=_severity(used["severity"]) if "severity" in used else None,
            title=used.get("title"),
        )

    def filter_lead(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # One filter() call: both conditions hold for the same assignment.
        return queryset.filter(
            role_assignments__role__name=LEAD, role_assignments__holder__external_id=value
        )

    def filter_title(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return incident_filter(queryset, title=value)


def _severity(label: str) -> int | str:
    """A severity's number from its label, or ``none`` for unset."""
    if label == NO_SEVERITY:
        return NO_SEVERITY
    return next(s for s in Severity if s.label == label)


class ActionFilter(filters.FilterSet):
    incident = IdFilter(field_name="incident_id", label="Incident id")
    status = filters.ChoiceFilter(choices=ActionStatus.choices, label="Status")
    done = filters.BooleanFilter(method="filter_done", label="Done or not")
    owner = filters.CharFilter(field_name="owner__external_id", label="Owner's Slack user id")

    class Meta:
        model = Action
        fields = ["incident", "status", "done", "owner"]

    def filter_done(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value:
            return queryset.filter(status=ActionStatus.DONE)
        return queryset.exclude(status=ActionStatus.DONE)


class TimelineEventFilter(filters.FilterSet):
    incident = IdFilter(field_name="incident_id", label="Incident id")
    kind = filters.ChoiceFilter(choices=TimelineEventKind.choices, label="Kind of entry")
    time = TimeRangeFilter(label="Between time_after and time_before (inclusive)")

    class Meta:
        model = TimelineEvent
        fields = ["incident", "kind", "time"]


class ExternalUserFilter(filters.FilterSet):
    deleted = filters.BooleanFilter(label="Deactivated in Slack")

    class Meta:
        model = ExternalUser
        fields = ["deleted"]


class SinceFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class AuditEntryFilter(filters.FilterSet):
    incident = IdFilter(field_name="incident_id", label="Incident id")
    since = SinceFilter(field_name="at", lookup_expr="gte", label="Changes at or after (ISO 8601)")
    via = filters.ChoiceFilter(choices=AuditVia.choices, label="The surface of the change")

    class Meta:
        model = AuditEntry
        fields = ["incident", "since", "via"]
