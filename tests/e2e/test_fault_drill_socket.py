"""The short fault drill over Socket Mode (``bench/faults.py --transport socket``): two
``slack_socket`` processes, their connections cut or refreshed every few seconds, Slack failing 30%
of Web API calls (``apps.connections.open`` included), the worker killed and every database
connection cut, and the acks of a few events held back so that Slack sends them again. Nothing may
be posted twice or lost, and every envelope that reached Response must be acknowledged in time."""

from __future__ import annotations

import pytest

from bench.faults import Options, drill, print_report
from tests.e2e.test_fault_drill import drill_database  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def test_nothing_is_posted_twice_or_lost_over_socket_mode_under_faults(
    drill_database,  # noqa: F811
    tmp_path,
):
    options = Options(
        incidents=3,
        parallel=3,
        fault_rate=0.3,
        seed=11,
        database_url=drill_database,
        transport="socket",
    )

    report = drill(options, tmp_path)
    print_report(report)

    assert report.incidents_declared == 3
    assert report.socket_drops > 0 and report.socket_reconnects > 0
    # Acks held back after Response handled the event: the redeliveries must be de-duplicated.
    assert report.events_held_back > 0 and report.slack_redeliveries >= report.events_held_back
    assert report.worker_kills == 1
    assert report.connections_terminated > 0
    assert report.duplicates == []
    assert report.slow_or_failed_answers == []
    assert report.scenario_errors == []
    assert report.losses == []
