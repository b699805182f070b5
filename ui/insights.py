"""The insights pages (SPEC §14): the numbers by severity and by month, as a page with charts and
as CSV, and the incidents behind each figure.

All three read ``core.insights``; the months are the viewer's.
"""

from __future__ import annotations

import csv
import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import insights as core_insights
from core.models import Severity
from ui.timezones import viewer_timezone

INCIDENTS_PER_PAGE = 100
CSV_COLUMNS = (
    "grouping",
    "group",
    "label",
    "incidents",
    "number",
    "count",
    "median_seconds",
    "p90_seconds",
)


def duration_text(delta: dt.timedelta | None) -> str:
    """``45s``, ``7m 30s``, ``2h 05m``, ``3d 4h``: fits a table cell, a dash for none."""
    if delta is None:
        return "\N{EN DASH}"
    seconds = round(delta.total_seconds())
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days}d {hour}h"
    if hours:
        return f"{hours}h {minute:02d}m"
    if minutes:
        return f"{minutes}m {second:02d}s" if second else f"{minutes}m"
    return f"{second}s"


def _render(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    zone = viewer_timezone(request)
    with timezone.override(zone):
        return render(request, template, {**context, "viewer_timezone": zone.key}, status=status)


def _filter(request: HttpRequest) -> tuple[core_insights.InsightsFilter, str]:
    """The filter asked for, or the default one and what was wrong with the request."""
    zone = viewer_timezone(request)
    try:
        return core_insights.filter_from_params(request.GET, zone=zone), ""
    except core_insights.InvalidInsightsFilter as error:
        return core_insights.filter_from_params({}, zone=zone), error.message


def _behind_url(chosen: core_insights.InsightsFilter, group, number=None) -> str:
    params = chosen.as_params()
    if number is not None:
        params.append(("number", number.name))
    if group.grouping == "severity":
        params.append(("of_severity", group.key))
    elif group.grouping == "month":
        params.append(("month", group.key))
    return f"{reverse('ui:insights_incidents')}?{urlencode(params)}"


def _group_row(chosen: core_insights.InsightsFilter, group) -> dict:
    return {
        "group": group,
        "incidents_url": _behind_url(chosen, group),
        "cells": [
            {
                "figure": figure,
                "median": duration_text(figure.median),
                "p90": duration_text(figure.p90),
                "url": _behind_url(chosen, group, figure.number),
            }
            for figure in group.figures
        ],
    }


def _minutes(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 2)


def _chart_data(insights: core_insights.Insights) -> dict:
    """What insights.js draws: the medians in minutes, by month and by severity, per number."""

    def series(groups) -> dict:
        return {
            "labels": [group.label for group in groups],
            "datasets": [
                {
                    "label": number.label,
                    "data": [_minutes(group.figure(number.name).median) for group in groups],
                }
                for number in insights.numbers
            ],
        }

    return {"by_month": series(insights.by_month), "by_severity": series(insights.by_severity)}


@login_required
@require_GET
def insights_page(request: HttpRequest) -> HttpResponse:
    chosen, error = _filter(request)
    insights = core_insights.insights_compute(chosen)
    context = {
        "insights": insights,
        "error": error,
        "chosen": chosen,
        "severity_choices": [(str(s.value), s.label) for s in Severity]
        + [(core_insights.NO_SEVERITY, "No severity")],
        "overall": _group_row(chosen, insights.overall),
        "by_severity": [_group_row(chosen, group) for group in insights.by_severity],
        "by_month": [_group_row(chosen, group) for group in insights.by_month],
        "chart_data": _chart_data(insights),
        "csv_url": f"{reverse('ui:insights_csv')}?{urlencode(chosen.as_params())}",
    }
    return _render(request, "ui/insights.html", context, status=400 if error else 200)


@login_required
@require_GET
def insights_csv(request: HttpRequest) -> HttpResponse:
    chosen, error = _filter(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    insights = core_insights.insights_compute(chosen)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"insights-{chosen.since.isoformat()}-{chosen.until.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in core_insights.figure_rows(insights):
        writer.writerow([row[column] for column in CSV_COLUMNS])
    return response


@login_required
@require_GET
def insights_incidents(request: HttpRequest) -> HttpResponse:
    """The incidents behind one figure of the insights page, with their durations."""
    chosen, error = _filter(request)
    behind = None
    if not error:
        try:
            behind = core_insights.behind_from_params(request.GET, chosen)
        except core_insights.InvalidInsightsFilter as refusal:
            error = refusal.message
    if error:
        return _render(request, "ui/insights_incidents.html", {"error": error}, status=400)
    incidents = core_insights.incidents_behind(chosen, behind)
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "incident": incident,
            "duration": duration_text(getattr(incident, "number_duration", None)),
        }
        for incident in page.object_list
    ]
    return _render(
        request,
        "ui/insights_incidents.html",
        {
            "behind": behind,
            "chosen": chosen,
            "group_label": _group_label(behind),
            "page": page,
            "rows": rows,
            "page_query": urlencode(
                [(n, v) for n in request.GET for v in request.GET.getlist(n) if n != "page"]
            ),
            "back_url": f"{reverse('ui:insights')}?{urlencode(chosen.as_params())}",
        },
    )


def _group_label(behind: core_insights.Behind) -> str:
    if behind.grouping == "severity":
        return core_insights.severity_label(behind.key)
    if behind.grouping == "month":
        return core_insights.month_label(behind.key)
    return "All incidents"
