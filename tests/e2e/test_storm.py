"""The short incident storm (``bench/storm.py``): a few incidents declared at once under Slack's
rate limits, a few commands each. Slack refuses every post until all are declared and every
headline edit until all commands are typed, so that everything waits at once: the headlines must
then come most severe first, each once, and each headline's waiting edits as one ``chat.update``
showing the latest state. ``make storm`` runs the long one and measures it."""

from __future__ import annotations

import pytest

from bench.storm import StormOptions, print_report, storm
from tests.e2e.test_fault_drill import drill_database  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def test_a_storm_loses_nothing_and_posts_the_most_severe_first(drill_database, tmp_path):  # noqa: F811
    options = StormOptions(
        incidents=6,
        declare_seconds=2,
        commands=3,
        parallel=3,
        seed=5,
        database_url=drill_database,
        hold=True,
    )

    report = storm(options, tmp_path)
    print_report(report)

    assert report.scenario_errors == []
    assert report.losses == []  # a headline each, showing the last edit; a reply per command
    assert report.duplicates == []
    severities = {i["severity"] for i in report.incidents}
    assert "critical" in severities and len(severities) > 2, "the mix proves nothing"
    assert report.out_of_order == []
    posted = sorted(report.incidents, key=lambda i: i["headline_at"])
    ranks = [("critical", "major", "minor", "trivial").index(i["severity"]) for i in posted]
    assert ranks == sorted(ranks)
    # Every edit was waiting while Slack refused: one update each carries them all.
    assert report.updates_refused > 0
    assert report.not_coalesced == []
    assert all(i["updates_sent"] == 1 for i in report.incidents), [
        (i["number"], i["updates_sent"], i["edits_requested"]) for i in report.incidents
    ]
