"""The insights figures (SPEC §14) for incidents whose milestones were chosen by hand.

The expected figures below were worked out on paper. Percentiles are ``percentile_cont``: sort the
n durations, take position p·(n-1) counting from 0, interpolate linearly between the two
durations around it (median of 5, 10, 20, 30, 40, 50 = 25; p90: position 4.5 → 40 + 0.5·10 = 45).
The page, the CSV and the API must all show these figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest

from core import services
from core.lifecycle.milestones import MilestoneKind as M
from core.lifecycle.statuses import IncidentStatus as S
from core.models import Severity
from tests.ui import builders

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MINUS = "\N{MINUS SIGN}"
PERIOD = "from=2026-01-01&to=2026-02-28"
NUMBERS = ("time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve")


def make_incident(
    started: dt.datetime,
    *,
    severity: Severity | None,
    detected: int,
    declared: int,
    acknowledged: int | None = None,
    mitigated: int | None = None,
    resolved: int | None = None,
    drill: bool = False,
    ending: str | None = None,
    merged_into=None,
):
    """An incident that started at ``started``, each milestone that many minutes later."""

    def at(minutes: int) -> dt.datetime:
        return started + dt.timedelta(minutes=minutes)

    incident = services.incident_declare(
        title=f"Started {started:%d %b %H:%M}",
        reporter=None,
        severity=severity,
        report_time=at(declared),
        drill=drill,
        triage=ending == S.DECLINED,
    )
    services.milestone_set(incident=incident, kind=M.STARTED, time=started)
    services.milestone_set(incident=incident, kind=M.DETECTED, time=at(detected))
    for kind, minutes in ((M.ACKNOWLEDGED, acknowledged), (M.MITIGATED, mitigated)):
        if minutes is not None:
            services.milestone_set(incident=incident, kind=kind, time=at(minutes))
    if resolved is not None:
        services.incident_status_set(incident=incident, status=S.RESOLVED)
        services.milestone_set(incident=incident, kind=M.RESOLVED, time=at(resolved))
    if ending:
        services.incident_status_set(incident=incident, status=ending, merged_into=merged_into)
    return incident


def jan(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, 10, 0, tzinfo=UTC)


def feb(day: int) -> dt.datetime:
    return dt.datetime(2026, 2, day, 10, 0, tzinfo=UTC)


CRIT, MINOR = Severity.CRITICAL, Severity.MINOR
MILESTONES = ("detected", "declared", "acknowledged", "mitigated", "resolved")
# Minutes after the start of: detected, declared, acknowledged, mitigated, resolved. D was never
# acknowledged, mitigated or resolved.
COUNTED = [
    ("A", jan(10), CRIT, 10, 15, 20, 60, 120),  # detect 10, ack 5, mitigate 60, resolve 120
    ("B", jan(20), CRIT, 20, 30, 40, 90, 240),  # detect 20, ack 10, mitigate 90, resolve 240
    ("C", jan(25), MINOR, 5, 5, 10, 30, 60),  # detect 5, ack 5, mitigate 30, resolve 60
    ("D", jan(28), MINOR, 30, 40, None, None, None),  # detect 30, then nothing
    ("E", feb(3), CRIT, 40, 45, 60, 100, 180),  # detect 40, ack 15, mitigate 100, resolve 180
    ("F", feb(10), MINOR, 50, 55, 65, 200, 300),  # detect 50, ack 10, mitigate 200, resolve 300
]


@pytest.fixture
def incidents():
    """Six incidents that count, over January and February, critical and minor, one of them
    (D) without acknowledged, mitigated or resolved; and five that must not count."""
    made = {
        name: make_incident(
            started, severity=severity, **dict(zip(MILESTONES, minutes, strict=True))
        )
        for name, started, severity, *minutes in COUNTED
    }
    # Never counted: a drill, a declined and a merged incident inside the period, and two
    # incidents outside it. Their huge durations would move every figure.
    huge = {"detected": 1000, "declared": 1000, "acknowledged": 2000, "mitigated": 3000}
    make_incident(feb(5), severity=CRIT, drill=True, resolved=4000, **huge)
    make_incident(feb(6), severity=MINOR, ending=S.DECLINED, **huge)
    make_incident(feb(7), severity=CRIT, ending=S.MERGED, merged_into=made["E"], **huge)
    make_incident(dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC), severity=CRIT, **huge)
    make_incident(dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC), severity=MINOR, **huge)
    return made["A"], made["D"]


# (incidents, {number: (count, median minutes, p90 minutes)}) per group, worked out by hand.
EXPECTED = {
    ("all", "all"): (
        6,
        {
            "time_to_detect": (6, 25, 45),  # 5 10 20 30 40 50
            "time_to_acknowledge": (5, 10, 13),  # 5 5 10 10 15: p90 at 3.6 → 10 + 0.6·5
            "time_to_mitigate": (5, 90, 160),  # 30 60 90 100 200
            "time_to_resolve": (5, 180, 276),  # 60 120 180 240 300
        },
    ),
    ("severity", "1"): (
        3,
        {
            "time_to_detect": (3, 20, 36),  # 10 20 40: p90 at 1.8 → 20 + 0.8·20
            "time_to_acknowledge": (3, 10, 14),  # 5 10 15
            "time_to_mitigate": (3, 90, 98),  # 60 90 100
            "time_to_resolve": (3, 180, 228),  # 120 180 240
        },
    ),
    ("severity", "3"): (
        3,
        {
            "time_to_detect": (3, 30, 46),  # 5 30 50
            "time_to_acknowledge": (2, 7.5, 9.5),  # 5 10: p90 at 0.9 → 5 + 0.9·5
            "time_to_mitigate": (2, 115, 183),  # 30 200
            "time_to_resolve": (2, 180, 276),  # 60 300
        },
    ),
    ("month", "2026-01"): (
        4,
        {
            "time_to_detect": (4, 15, 27),  # 5 10 20 30: p90 at 2.7 → 20 + 0.7·10
            "time_to_acknowledge": (3, 5, 9),  # 5 5 10
            "time_to_mitigate": (3, 60, 84),  # 30 60 90
            "time_to_resolve": (3, 120, 216),  # 60 120 240
        },
    ),
    ("month", "2026-02"): (
        2,
        {
            "time_to_detect": (2, 45, 49),  # 40 50
            "time_to_acknowledge": (2, 12.5, 14.5),  # 10 15
            "time_to_mitigate": (2, 150, 190),  # 100 200
            "time_to_resolve": (2, 240, 288),  # 180 300
        },
    ),
}
EMPTY_SEVERITIES = (("severity", "2"), ("severity", "4"))


def expected_rows() -> dict[tuple[str, str, str], tuple]:
    """(grouping, group, number) → (incidents, count, median seconds, p90 seconds)."""
    rows = {}
    for (grouping, key), (incidents, figures) in EXPECTED.items():
        for number, (count, median, p90) in figures.items():
            rows[grouping, key, number] = (incidents, count, median * 60, p90 * 60)
    for grouping, key in EMPTY_SEVERITIES:
        for number in NUMBERS:
            rows[grouping, key, number] = (0, 0, None, None)
    return rows


def approx_rows(rows: dict) -> dict:
    return {
        key: tuple(None if value is None else pytest.approx(value) for value in values)
        for key, values in rows.items()
    }


@pytest.fixture
def logged_in(client):
    client.force_login(builders.login_user())
    return client


def test_the_api_gives_the_figures_worked_out_by_hand(logged_in, incidents):
    answer = logged_in.get(f"/core/insights/?{PERIOD}")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["since"], data["until"], data["time_zone"]) == ("2026-01-01", "2026-02-28", "UTC")
    groups = [data["overall"], *data["by_severity"], *data["by_month"]]
    found = {
        (group["grouping"], group["group"], figure["number"]): (
            group["incidents"],
            figure["count"],
            figure["median_seconds"],
            figure["p90_seconds"],
        )
        for group in groups
        for figure in group["figures"]
    }
    assert found == approx_rows(expected_rows())
    assert [group["group"] for group in data["by_month"]] == ["2026-01", "2026-02"]
    assert [number["definition"] for number in data["numbers"]] == [
        f"Time to detect = detected {MINUS} started",
        f"Time to acknowledge = acknowledged {MINUS} declared",
        f"Time to mitigate = mitigated {MINUS} started",
        f"Time to resolve = resolved {MINUS} started",
    ]


def test_the_csv_gives_the_figures_worked_out_by_hand(logged_in, incidents):
    answer = logged_in.get(f"/insights.csv?{PERIOD}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    found = {
        (row["grouping"], row["group"], row["number"]): (
            int(row["incidents"]),
            int(row["count"]),
            float(row["median_seconds"]) if row["median_seconds"] else None,
            float(row["p90_seconds"]) if row["p90_seconds"] else None,
        )
        for row in rows
    }
    assert found == approx_rows(expected_rows())


class FigureCells(HTMLParser):
    """The page's figure cells: each group row says its group, each cell its number's figures."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[tuple[str, str, str], tuple] = {}
        self.group: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if attrs.get("data-testid") == "group":
            self.group = attrs
        elif attrs.get("data-testid") == "figure":
            key = (self.group["data-grouping"], self.group["data-key"], attrs["data-number"])
            self.found[key] = (
                int(self.group["data-incidents"]),
                int(attrs["data-count"]),
                float(attrs["data-median"]) if attrs["data-median"] else None,
                float(attrs["data-p90"]) if attrs["data-p90"] else None,
            )


def test_the_page_gives_the_figures_worked_out_by_hand(logged_in, incidents):
    answer = logged_in.get(f"/insights/?{PERIOD}")
    assert answer.status_code == 200
    html = answer.content.decode()
    cells = FigureCells()
    cells.feed(html)
    assert cells.found == approx_rows(expected_rows())
    # Shown as people read durations: the overall median time to acknowledge is 10 minutes.
    assert f"Time to acknowledge = acknowledged {MINUS} declared" in html
    assert "7m 30s" in html  # minor's median time to acknowledge


def test_each_figure_links_to_the_incidents_behind_it(logged_in, incidents):
    a, d = incidents
    page = logged_in.get(f"/insights/?{PERIOD}").content.decode()
    link = "/insights/incidents/?from=2026-01-01&amp;to=2026-02-28&amp;number=time_to_detect"
    assert f'{link}&amp;month=2026-01"' in page

    behind = logged_in.get(
        f"/insights/incidents/?{PERIOD}&number=time_to_detect&month=2026-01"
    ).content.decode()
    durations = [float(s) for s in _attr_values(behind, "data-seconds")]
    assert durations == [5 * 60, 10 * 60, 20 * 60, 30 * 60]  # shortest first
    assert f'href="/incident/{a.pk}/"' in behind

    # D has no acknowledged milestone: it is behind the count, not behind time to acknowledge.
    count = logged_in.get(f"/insights/incidents/?{PERIOD}&of_severity=minor").content.decode()
    ack = logged_in.get(
        f"/insights/incidents/?{PERIOD}&of_severity=3&number=time_to_acknowledge"
    ).content.decode()
    assert f'data-incident="{d.pk}"' in count
    assert f'data-incident="{d.pk}"' not in ack
    assert len(_attr_values(count, "data-incident")) == 3
    assert sorted(float(s) for s in _attr_values(ack, "data-seconds")) == [300, 600]


def _attr_values(html: str, name: str) -> list[str]:
    import re

    return re.findall(rf'{name}="([^"]*)"', html)


def test_a_severity_filter_narrows_every_group(logged_in, incidents):
    data = logged_in.get(f"/core/insights/?{PERIOD}&severity=critical").json()
    assert data["severities"] == ["1"]
    assert data["overall"]["incidents"] == 3
    assert [group["group"] for group in data["by_severity"]] == ["1"]
    january = data["by_month"][0]
    assert january["incidents"] == 2
    assert january["figures"][0]["median_seconds"] == pytest.approx(15 * 60)  # 10 and 20

    unset = logged_in.get(f"/core/insights/?{PERIOD}&severity=none&severity=3").json()
    assert [group["group"] for group in unset["by_severity"]] == ["3", "none"]
    assert unset["overall"]["incidents"] == 3


def test_a_period_without_incidents_says_so(logged_in, incidents):
    page = logged_in.get("/insights/?from=2024-01-01&to=2024-03-31").content.decode()
    assert 'data-testid="insights-empty"' in page
    assert "No incidents count in this period" in page
    assert "insights-chart-data" not in page


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-02-01&to=2026-01-01",
        "from=yesterday",
        "severity=urgent",
        "from=2000-01-01",
        "from=0001-01-01&to=0001-01-02",
    ],
)
def test_an_unreadable_filter_is_refused_with_a_reason(logged_in, query):
    api = logged_in.get(f"/core/insights/?{query}")
    assert api.status_code == 400
    assert api.json()["detail"]
    assert logged_in.get(f"/insights.csv?{query}").status_code == 400
    page = logged_in.get(f"/insights/?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()


def test_the_api_refuses_an_unknown_zone(logged_in):
    answer = logged_in.get("/core/insights/?tz=Mars/Olympus")
    assert answer.status_code == 400
    assert "Unknown time zone" in answer.json()["detail"]


def test_insights_need_a_login(client):
    assert client.get("/insights/").status_code == 302
    assert client.get("/insights.csv").status_code == 302
    assert client.get("/insights/incidents/").status_code == 302
    assert client.get("/core/insights/").status_code in (401, 403)


# The session, the user, then the insights: a transaction around one setting and one query.
QUERIES_PER_INSIGHTS_REQUEST = 6


@pytest.mark.parametrize("path", ["/insights/", "/insights.csv", "/core/insights/"])
def test_the_number_of_queries_does_not_grow_with_incidents(
    logged_in, django_assert_num_queries, path
):
    def add(count: int) -> None:
        for n in range(count):
            started = dt.datetime(2026, 1 + n % 10, 1 + n % 27, 8, tzinfo=UTC)
            make_incident(
                started,
                severity=Severity(1 + n % 4),
                detected=n % 7,
                declared=10,
                acknowledged=12,
                mitigated=30 + n,
                resolved=60 + n,
            )

    path += "?from=2026-01-01&to=2026-11-30"
    add(2)
    with django_assert_num_queries(QUERIES_PER_INSIGHTS_REQUEST):
        assert logged_in.get(path).status_code == 200
    add(18)
    with django_assert_num_queries(QUERIES_PER_INSIGHTS_REQUEST):
        assert logged_in.get(path).status_code == 200


def test_the_incidents_behind_a_figure_cost_the_same_queries_however_many(
    logged_in, django_assert_num_queries
):
    path = "/insights/incidents/?from=2026-01-01&to=2026-02-28&number=time_to_resolve&month=2026-01"

    def add(count: int) -> None:
        for n in range(count):
            make_incident(jan(1 + n), severity=CRIT, detected=1, declared=2, resolved=10 + n)

    add(2)
    # session, user, the count for the pages, the page of incidents
    with django_assert_num_queries(4):
        assert logged_in.get(path).status_code == 200
    add(18)
    with django_assert_num_queries(4):
        assert logged_in.get(path).status_code == 200


def test_months_are_the_viewers(logged_in):
    """Started at 23:30 UTC on 31 January: January in UTC, February in Tokyo."""
    late = dt.datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    make_incident(late, severity=CRIT, detected=10, declared=10)
    period = "from=2026-01-01&to=2026-02-28"

    def months(data) -> dict[str, int]:
        return {group["group"]: group["incidents"] for group in data["by_month"]}

    assert months(logged_in.get(f"/core/insights/?{period}").json()) == {
        "2026-01": 1,
        "2026-02": 0,
    }
    tokyo = logged_in.get(f"/core/insights/?{period}&tz=Asia/Tokyo").json()
    assert months(tokyo) == {"2026-01": 0, "2026-02": 1}
    logged_in.cookies["tz"] = "Asia/Tokyo"
    page = logged_in.get(f"/insights/?{period}").content.decode()
    assert 'data-grouping="month" data-key="2026-02" data-incidents="1"' in page
