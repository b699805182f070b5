"""The short fault drill (``bench/faults.py``): a few incidents on two web processes and two workers
while Slack fails 30% of calls, a worker is killed and every database connection is cut. Nothing
may be posted twice or lost, and Slack must always get an answer in time. ``make faults`` runs the
longer one."""

from __future__ import annotations

import os

import psycopg
import pytest

from bench.faults import Options, drill, print_report
from tests.worker_process import database_url

pytestmark = pytest.mark.slow


@pytest.fixture
def drill_database(db):
    """A database of its own on the test server, for the drill's processes to migrate."""
    name = f"response_drill_{os.getpid()}"
    server = database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_nothing_is_posted_twice_or_lost_under_slack_faults_and_crashes(drill_database, tmp_path):
    options = Options(
        incidents=3,
        parallel=3,
        fault_rate=0.3,
        event_hold_rate=0.2,
        seed=11,
        database_url=drill_database,
        # Two replicas of each, as a scaled-out deployment runs (SPEC §19): the promise must
        # hold across processes, not only within one.
        web=2,
        workers=2,
    )

    report = drill(options, tmp_path)
    print_report(report)

    assert report.incidents_declared == 3
    assert (report.follows, report.updates_shared) == (3, 3)  # and each counted once (SPEC §15)
    assert sum(report.faults_injected.values()) > 0
    assert report.worker_kills == 1
    assert report.connections_terminated > 0
    assert report.duplicates == []
    assert report.slow_or_failed_answers == []
    assert report.scenario_errors == []
    assert report.losses == []
