"""The numbers of SPEC §14 over a period: how many incidents, and the median and 90th percentile of
each number (``core.lifecycle.numbers.NUMBERS``), by severity and by month.

The insights page, its CSV and the API all serialise what ``insights_compute`` returns.

* An incident belongs to the month (in the viewer's zone) and the period in which it started.
* Drills and declined or merged incidents never count. The count of a group is its other
  incidents; a number counts only the incidents that have both of its milestones.
* Percentiles are PostgreSQL's ``percentile_cont``: linear interpolation between the two nearest
  durations (the median of 1, 2, 3 and 4 minutes is 2.5 minutes; the 90th percentile of 1 to 10
  minutes is 9.1 minutes).

Everything is computed by the database in one query, whatever the number of incidents (with
one setting before it, in the same transaction): the milestone rows are pivoted per incident,
and ``GROUPING SETS`` groups them by severity, by month and overall at once.

``incidents_behind`` lists the incidents behind one figure.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.access import Acting, current, visible_incidents
from core.access.visibility import access_grants_of, sees_everything
from core.exceptions import ApplicationError
from core.lifecycle.numbers import NUMBERS, Number
from core.lifecycle.statuses import UNCOUNTED_STATUSES
from core.models import Incident, Milestone, Severity

DEFAULT_MONTHS = 12
# About ten years: a longer period only adds months without incidents to every answer.
LONGEST_PERIOD = dt.timedelta(days=3700)
# Dates outside these years are typing mistakes, and near year 1 or 9999 the period's bounds
# would not fit a datetime in every zone.
YEARS = range(1900, 9000)
NO_SEVERITY = "none"
ALL = "all"
PERCENTILE_DEFINITION = "percentile_cont: linear interpolation between the two nearest durations"
NUMBERS_BY_NAME: dict[str, Number] = {number.name: number for number in NUMBERS}


class InvalidInsightsFilter(ApplicationError):
    """A period or severity that cannot be read; ``message`` says what is wrong."""


# --- What is asked ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightsFilter:
    """The period (both days included, in ``zone``) and the severities asked for (none: all)."""

    since: dt.date
    until: dt.date
    zone: zoneinfo.ZoneInfo
    severities: tuple[str, ...] = ()

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.since, dt.time(), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), tzinfo=self.zone)

    def months(self) -> list[str]:
        """Every month the period touches, ``YYYY-MM``, oldest first."""
        year, month, found = self.since.year, self.since.month, []
        while (year, month) <= (self.until.year, self.until.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def month_starts(self) -> list[dt.datetime]:
        """The first moment of each month of ``months()``, in ``zone``."""
        return [
            dt.datetime(int(key[:4]), int(key[5:]), 1, tzinfo=self.zone) for key in self.months()
        ]

    def as_params(self) -> list[tuple[str, str]]:
        """Query parameters that ask for this filter again (links, the CSV)."""
        return [
            ("from", self.since.isoformat()),
            ("to", self.until.isoformat()),
            *(("severity", severity) for severity in self.severities),
        ]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    months_back = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return dt.date(months_back // 12, months_back % 12 + 1, 1), today


def filter_from_params(
    params: Mapping[str, str | list[str]] | object,
    *,
    zone: zoneinfo.ZoneInfo,
    today: dt.date | None = None,
) -> InsightsFilter:
    """Read ``from``, ``to`` (``YYYY-MM-DD``) and repeated ``severity`` (``1``-``4``, a name such
    as ``critical``, or ``none``) from query parameters; raise ``InvalidInsightsFilter``."""
    today = today or timezone.now().astimezone(zone).date()
    default_since, default_until = default_period(today)
    since = _date(_first(params, "from"), "from", default_since)
    until = _date(_first(params, "to"), "to", default_until)
    if since > until:
        raise InvalidInsightsFilter(
            "The period ends before it starts: 'to' must not be before 'from'."
        )
    if since.year not in YEARS or until.year not in YEARS:
        raise InvalidInsightsFilter(f"Dates must be between {YEARS.start} and {YEARS.stop - 1}.")
    if until - since > LONGEST_PERIOD:
        raise InvalidInsightsFilter("The period is too long: ask for ten years at most.")
    severities = tuple(dict.fromkeys(_severity(text) for text in _all(params, "severity") if text))
    return InsightsFilter(since=since, until=until, severities=severities, zone=zone)


def _first(params, name: str) -> str:
    values = _all(params, name)
    return values[0] if values else ""


def _all(params, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return [str(value) for value in params.getlist(name)]
    value = params.get(name) if isinstance(params, Mapping) else None
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


def _date(text: str, name: str, default: dt.date) -> dt.date:
    if not text.strip():
        return default
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInsightsFilter(f"'{name}' must be a date like 2026-03-31.") from None


def _severity(text: str) -> str:
    if text.strip().lower() == NO_SEVERITY:
        return NO_SEVERITY
    severity = Severity.parse(text)
    if severity is None:
        names = ", ".join([*Severity.labels, NO_SEVERITY])
        raise InvalidInsightsFilter(f"Unknown severity {text!r}: use one of {names}.")
    return str(severity.value)


# --- What is answered ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One number in one group: how many incidents have both milestones, their median and p90."""

    number: Number
    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None


@dataclass(frozen=True)
class Group:
    """The incidents of one severity, one month, or all of them (``grouping`` says which)."""

    grouping: str  # "severity", "month" or "all"
    key: str  # "1".."4" or "none"; "YYYY-MM"; "all"
    label: str
    incidents: int
    figures: tuple[Figure, ...]

    def figure(self, name: str) -> Figure:
        return next(figure for figure in self.figures if figure.number.name == name)


@dataclass(frozen=True)
class Insights:
    filter: InsightsFilter
    overall: Group
    by_severity: tuple[Group, ...]
    by_month: tuple[Group, ...]
    numbers: tuple[Number, ...] = NUMBERS

    @property
    def is_empty(self) -> bool:
        return self.overall.incidents == 0

    @property
    def groups(self) -> tuple[Group, ...]:
        return (self.overall, *self.by_severity, *self.by_month)


def severity_label(key: str) -> str:
    return "No severity" if key == NO_SEVERITY else Severity(int(key)).label.capitalize()


def month_label(key: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return f"{calendar.month_name[month]} {year}"


def _empty_figures() -> tuple[Figure, ...]:
    return tuple(Figure(number=number, count=0, median=None, p90=None) for number in NUMBERS)


# --- The computation ----------------------------------------------------------------------------


def _kinds() -> list[str]:
    return sorted({kind for number in NUMBERS for kind in (number.start, number.end)})


SESSION_FOR_INSIGHTS = "SET LOCAL jit = off; SET LOCAL work_mem = '32MB'"


def _insights_sql(insights_filter: InsightsFilter, visibility: str = "") -> str:
    """One pass: each counted incident joined to its milestone rows, pivoted to one row of
    durations per incident; then the three groupings at once. Severity and month stay narrow
    (a smallint, and the month's number in the period) for the sorts, and durations are
    ``date_part`` doubles: ``extract`` gives numerics, several times slower to sort."""
    pivot = {
        kind: f"max(milestone.time) FILTER (WHERE milestone.kind = '{kind}')" for kind in _kinds()
    }
    durations = ",\n".join(
        f"date_part('epoch', {pivot[number.end]} - {pivot[number.start]}) AS {number.name}"
        for number in NUMBERS
    )
    figures = ",\n".join(
        f"count({number.name}), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP "
        f"(ORDER BY {number.name})"
        for number in NUMBERS
    )
    return f"""
        WITH durations AS (
            SELECT incident.severity,
                   width_bucket(incident.start_time, %(month_starts)s) AS month,
                   {durations}
            FROM {Incident._meta.db_table} AS incident
            LEFT JOIN {Milestone._meta.db_table} AS milestone
                   ON milestone.incident_id = incident.id
            WHERE NOT incident.drill
              AND incident.status <> ALL(%(uncounted)s)
              AND incident.start_time >= %(start)s AND incident.start_time < %(end)s
              {_severity_condition(insights_filter)}
              {visibility}
            GROUP BY incident.id
        )
        SELECT GROUPING(severity), GROUPING(month), severity, month, count(*), {figures}
        FROM durations
        GROUP BY GROUPING SETS ((severity), (month), ())
    """  # noqa: S608 (table names and constants only; values are parameters)


def _severity_condition(insights_filter: InsightsFilter) -> str:
    if not insights_filter.severities:
        return ""
    if NO_SEVERITY in insights_filter.severities:
        return "AND (incident.severity = ANY(%(severities)s) OR incident.severity IS NULL)"
    return "AND incident.severity = ANY(%(severities)s)"


def _sql_params(insights_filter: InsightsFilter) -> dict:
    return {
        # The months' first moments in the viewer's zone, so the database needs no zone names.
        "month_starts": insights_filter.month_starts(),
        "uncounted": sorted(UNCOUNTED_STATUSES),
        "start": insights_filter.start,
        "end": insights_filter.end,
        "severities": [int(key) for key in insights_filter.severities if key != NO_SEVERITY],
    }


def _visibility_condition(acting: Acting | None) -> tuple[str, dict]:
    """The SQL that leaves out private incidents ``acting`` may not see, with its parameters:
    ``core.access.visible_incidents``' own subquery, so the rule is written once."""
    acting = acting or current()
    if sees_everything(acting):
        return "", {}
    try:
        granted_sql, granted_params = (
            access_grants_of(acting).values("incident_id").query.sql_with_params()
        )
    except EmptyResultSet:  # nobody to look up: no private incident at all
        return "AND NOT incident.private", {}
    names = {f"visible_{n}": value for n, value in enumerate(granted_params)}
    granted_sql = granted_sql % tuple(f"%({name})s" for name in names)
    return f"AND (NOT incident.private OR incident.id IN ({granted_sql}))", names


def insights_compute(insights_filter: InsightsFilter, acting: Acting | None = None) -> Insights:
    """Counts, medians and 90th percentiles by severity, by month and overall, in one query;
    private incidents ``acting`` (by default the current actor) may not see are not counted."""
    visibility, visibility_params = _visibility_condition(acting)
    with transaction.atomic(), connection.cursor() as cursor:
        # A JIT compile costs more than this query saves (hundreds of milliseconds once the
        # estimated cost crosses jit_above_cost), and the sorts fit in memory with some room.
        cursor.execute(SESSION_FOR_INSIGHTS)
        cursor.execute(
            _insights_sql(insights_filter, visibility),
            {**_sql_params(insights_filter), **visibility_params},
        )
        rows = cursor.fetchall()
    found = [_group_from_row(row, insights_filter.months()) for row in rows]
    overall = next(
        (group for group in found if group.grouping == ALL),
        Group(ALL, ALL, "All incidents", 0, _empty_figures()),
    )
    by_key = {(group.grouping, group.key): group for group in found}
    return Insights(
        filter=insights_filter,
        overall=overall,
        by_severity=tuple(
            by_key.get(("severity", key)) or _empty_group("severity", key)
            for key in _severity_keys(insights_filter, found)
        ),
        by_month=tuple(
            by_key.get(("month", key)) or _empty_group("month", key)
            for key in insights_filter.months()
        ),
    )


def _severity_keys(insights_filter: InsightsFilter, found: Sequence[Group]) -> list[str]:
    """The severities asked for (all four when none were), and 'none' when asked for or seen."""
    asked = insights_filter.severities or tuple(str(severity.value) for severity in Severity)
    seen = {group.key for group in found if group.grouping == "severity"}
    keys = [key for key in asked if key != NO_SEVERITY]
    if NO_SEVERITY in asked or NO_SEVERITY in seen:
        keys.append(NO_SEVERITY)
    return keys


def _empty_group(grouping: str, key: str) -> Group:
    label = severity_label(key) if grouping == "severity" else month_label(key)
    return Group(grouping, key, label, 0, _empty_figures())


def _group_from_row(row: Sequence, months: Sequence[str]) -> Group:
    not_by_severity, not_by_month, severity, month, incidents, *columns = row
    if not not_by_severity:
        key = NO_SEVERITY if severity is None else str(severity)
        grouping, label = "severity", severity_label(key)
    elif not not_by_month:
        key = months[month - 1]  # width_bucket counts from 1
        grouping, label = "month", month_label(key)
    else:
        grouping, key, label = ALL, ALL, "All incidents"
    figures = tuple(
        _figure(number, count, percentiles)
        for number, (count, percentiles) in zip(
            NUMBERS, zip(columns[::2], columns[1::2], strict=True), strict=True
        )
    )
    return Group(grouping, key, label, incidents, figures)


def _figure(number: Number, count: int, percentiles: Sequence[float | None] | None) -> Figure:
    median, p90 = percentiles or (None, None)
    return Figure(number=number, count=count, median=_seconds(median), p90=_seconds(p90))


def _seconds(value: float | None) -> dt.timedelta | None:
    return None if value is None else dt.timedelta(seconds=float(value))


def figure_rows(insights: Insights) -> list[dict]:
    """One flat row per group and number, overall first, then by severity, then by month: the
    CSV's rows and the API's figures. Durations in seconds, None when no incident has both."""
    return [
        {
            "grouping": group.grouping,
            "group": group.key,
            "label": group.label,
            "incidents": group.incidents,
            "number": figure.number.name,
            "count": figure.count,
            "median_seconds": _as_seconds(figure.median),
            "p90_seconds": _as_seconds(figure.p90),
        }
        for group in insights.groups
        for figure in group.figures
    ]


def _as_seconds(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 3)


# --- The incidents behind a figure --------------------------------------------------------------


@dataclass(frozen=True)
class Behind:
    """Which figure: a number (or None for the count), in a severity, a month, or all."""

    number: Number | None
    grouping: str
    key: str


def behind_from_params(params, insights_filter: InsightsFilter) -> Behind:
    """Read ``number``, and ``of_severity`` or ``month`` for the group.

    Raises ``InvalidInsightsFilter``."""
    name = _first(params, "number")
    if name and name not in NUMBERS_BY_NAME:
        raise InvalidInsightsFilter(
            f"Unknown number {name!r}: use one of {', '.join(NUMBERS_BY_NAME)}."
        )
    month = _first(params, "month")
    if month:
        if month not in insights_filter.months():
            raise InvalidInsightsFilter("'month' must be a month of the period, like 2026-03.")
        return Behind(NUMBERS_BY_NAME.get(name), "month", month)
    group_severity = _first(params, "of_severity")
    if group_severity:
        return Behind(NUMBERS_BY_NAME.get(name), "severity", _severity(group_severity))
    return Behind(NUMBERS_BY_NAME.get(name), ALL, ALL)


def incidents_behind(
    insights_filter: InsightsFilter, behind: Behind, acting: Acting | None = None
) -> QuerySet[Incident]:
    """The incidents counted in one figure, shortest duration first (all counted incidents of the
    group, newest first, for a count). Each has ``number_duration`` when a number is asked for.
    Only those ``acting`` (by default the current actor) may see, as the figures count them."""
    incidents = visible_incidents(_counted(insights_filter), acting)
    if behind.grouping == "severity":
        incidents = _with_severity(incidents, (behind.key,))
    elif behind.grouping == "month":
        year, month = (int(part) for part in behind.key.split("-"))
        first = dt.date(year, month, 1)
        month_filter = replace(
            insights_filter,
            since=max(first, insights_filter.since),
            until=min(_month_end(first), insights_filter.until),
        )
        incidents = incidents.filter(
            start_time__gte=month_filter.start, start_time__lt=month_filter.end
        )
    if behind.number is None:
        return incidents.order_by("-start_time", "-id")
    return (
        incidents.annotate(
            start_at=_milestone_time(behind.number.start), end_at=_milestone_time(behind.number.end)
        )
        .filter(start_at__isnull=False, end_at__isnull=False)
        .annotate(
            number_duration=ExpressionWrapper(
                F("end_at") - F("start_at"), output_field=DurationField()
            )
        )
        .order_by("number_duration", "id")
    )


def _month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _counted(insights_filter: InsightsFilter) -> QuerySet[Incident]:
    incidents = (
        Incident.objects.filter(
            drill=False,
            start_time__gte=insights_filter.start,
            start_time__lt=insights_filter.end,
        )
        .exclude(status__in=UNCOUNTED_STATUSES)
        .only("id", "title", "severity", "status", "start_time", "drill")
    )
    return _with_severity(incidents, insights_filter.severities)


def _with_severity(incidents: QuerySet[Incident], severities: Sequence[str]) -> QuerySet[Incident]:
    if not severities:
        return incidents
    condition = Q(severity__in=[int(key) for key in severities if key != NO_SEVERITY])
    if NO_SEVERITY in severities:
        condition |= Q(severity__isnull=True)
    return incidents.filter(condition)


def _milestone_time(kind: str) -> Subquery:
    return Subquery(Milestone.objects.filter(incident=OuterRef("pk"), kind=kind).values("time")[:1])
