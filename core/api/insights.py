"""``GET /core/insights/``: the numbers of SPEC §14 by severity and by month, as the insights page
shows them (``core.insights``), for scripts and dashboards."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import insights as core_insights
from core.api.acting import ActingAPIView
from core.models import Severity

SEVERITY_CHOICES = [*Severity.labels, *(str(value) for value in Severity.values), "none"]


class NumberSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    start = serializers.CharField(help_text="The milestone the number is measured from.")
    end = serializers.CharField(help_text="The milestone the number is measured to.")
    definition = serializers.CharField()


class FigureSerializer(serializers.Serializer):
    number = serializers.CharField()
    count = serializers.IntegerField(help_text="Incidents of the group with both milestones.")
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)


class GroupSerializer(serializers.Serializer):
    grouping = serializers.ChoiceField(choices=["all", "severity", "month"])
    group = serializers.CharField(help_text="all; a severity 1-4 or none; a month YYYY-MM.")
    label = serializers.CharField()
    incidents = serializers.IntegerField(
        help_text="Incidents that count (no drills, declined, merged)."
    )
    figures = FigureSerializer(many=True)


class InsightsSerializer(serializers.Serializer):
    since = serializers.DateField(help_text="The period's first day (``from``).")
    until = serializers.DateField(help_text="The period's last day, included (``to``).")
    severities = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField(help_text="The zone the period and months are read in.")
    percentile = serializers.CharField()
    numbers = NumberSerializer(many=True)
    overall = GroupSerializer()
    by_severity = GroupSerializer(many=True)
    by_month = GroupSerializer(many=True)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(name: str) -> zoneinfo.ZoneInfo:
    if not name:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if name not in _known_zones():
        raise core_insights.InvalidInsightsFilter(f"Unknown time zone {name!r}: use an IANA name.")
    return zoneinfo.ZoneInfo(name)


def insights_as_data(insights: core_insights.Insights) -> dict:
    """The same figures as the CSV (``figure_rows``), nested by group."""
    rows = core_insights.figure_rows(insights)
    groups = []
    for group in insights.groups:
        figures = [
            {key: row[key] for key in ("number", "count", "median_seconds", "p90_seconds")}
            for row in rows
            if (row["grouping"], row["group"]) == (group.grouping, group.key)
        ]
        groups.append(
            {
                "grouping": group.grouping,
                "group": group.key,
                "label": group.label,
                "incidents": group.incidents,
                "figures": figures,
            }
        )
    overall, *rest = groups
    return {
        "since": insights.filter.since,
        "until": insights.filter.until,
        "severities": list(insights.filter.severities),
        "time_zone": insights.filter.zone.key,
        "percentile": core_insights.PERCENTILE_DEFINITION,
        "numbers": [
            {
                "name": number.name,
                "label": number.label,
                "start": number.start,
                "end": number.end,
                "definition": number.definition,
            }
            for number in insights.numbers
        ],
        "overall": overall,
        "by_severity": rest[: len(insights.by_severity)],
        "by_month": rest[len(insights.by_severity) :],
    }


class InsightsView(ActingAPIView, APIView):
    @extend_schema(
        summary="Counts, medians and 90th percentiles by severity and by month",
        description=(
            "Time to detect, acknowledge, mitigate and resolve over a period. Only incidents "
            "with both milestones count for a number; drills, declined and merged incidents "
            "never count. Durations are in seconds; percentiles interpolate linearly "
            "(PostgreSQL's percentile_cont)."
        ),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (default: 12 months back)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day, included (default: today)."
            ),
            OpenApiParameter(
                "severity",
                OpenApiTypes.STR,
                many=True,
                enum=SEVERITY_CHOICES,
                description="Repeat to ask for several; none given: all.",
            ),
            OpenApiParameter(
                "tz",
                OpenApiTypes.STR,
                description="IANA zone of the period and months (default: TIME_ZONE).",
            ),
        ],
        responses={
            200: InsightsSerializer,
            400: OpenApiResponse(
                description="An unreadable period, severity or zone; `detail` says why."
            ),
        },
    )
    def get(self, request: Request) -> Response:
        zone = _zone(request.query_params.get("tz", "").strip())
        chosen = core_insights.filter_from_params(request.query_params, zone=zone)
        return Response(
            InsightsSerializer(insights_as_data(core_insights.insights_compute(chosen))).data
        )
